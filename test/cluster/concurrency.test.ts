import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Testbed, type TestbedHost } from "../../src/testbed/index.js";
import { waitUntil } from "../../src/networkdb-node/launcher.js";
import { api, apiOk, connect, createSandbox, disconnect, peerAddresses, pingFrom, sandboxes, networks, type SandboxInfo } from "./cluster-api.js";

/**
 * Three hosts connect 100 sandboxes each to one overlay network, all 300
 * requests in flight at once: the global IPAM (per-address keys in etcd)
 * must hand out 300 distinct addresses, every host's NetworkDB must end with
 * all 300 peer records, and cross-host pairs must reach each other. Then all
 * 300 disconnect at once and everything drains.
 */
const PER_HOST = 100;
const NET = "ovc";

describe("300 concurrent connects to one overlay network across three hosts", () => {
  let bed: Testbed;
  let hosts: TestbedHost[];
  const names = (h: TestbedHost) => Array.from({ length: PER_HOST }, (_, i) => `${h.name}-s${i}`);
  /** Each host's sandboxes after connecting (name, namespace path, address). */
  const connected = new Map<TestbedHost, SandboxInfo[]>();
  const log = (m: string) => console.log(`# ${m}`);

  before(async () => {
    bed = await Testbed.start({ hosts: 3, etcd: true, onProgress: (m) => log(`testbed: ${m}`) });
    hosts = bed.hosts;
    await apiOk(hosts[0]!, "POST", "/networks/create", { Name: NET, Driver: "overlay", Attachable: true, IPAM: { Config: [{ Subnet: "10.78.0.0/22" }] } });
    for (const h of hosts) await waitUntil(`${NET} listed on ${h.name}`, async () => (await networks(h)).some((n) => n.Name === NET), 10_000);
    // Sandboxes first (local, not what is measured), 100 a host at once.
    const t = Date.now();
    await Promise.all(hosts.flatMap((h) => names(h).map((n) => createSandbox(h, n))));
    log(`created ${hosts.length * PER_HOST} sandboxes in ${Date.now() - t} ms`);
  });
  after(async () => {
    await bed?.close();
  });

  it("all 300 connects in flight together succeed with 300 distinct addresses", async () => {
    const t = Date.now();
    const results = await Promise.allSettled(hosts.flatMap((h) => names(h).map((n) => connect(h, NET, n))));
    const elapsed = Date.now() - t;
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    log(`300 concurrent connects took ${elapsed} ms (${failures.length} failed)`);
    assert.deepEqual(failures.map((f) => String(f.reason).split("\n")[0]), [], "every connect succeeded");

    const all: string[] = [];
    for (const h of hosts) {
      const mine = (await sandboxes(h)).filter((s) => s.Name.startsWith(`${h.name}-s`));
      assert.equal(mine.length, PER_HOST);
      for (const s of mine) {
        const ip = s.Networks[NET]?.IPAddress;
        assert.ok(ip, `${s.Name} on ${h.name} has an address on ${NET}`);
        all.push(ip);
      }
      connected.set(h, mine);
    }
    const duplicates = all.filter((ip, i) => all.indexOf(ip) !== i);
    assert.deepEqual(duplicates, [], "no address handed out twice");
    assert.equal(new Set(all).size, hosts.length * PER_HOST);
  });

  it("every host's overlay_peer_table ends with all 300 endpoints", async () => {
    const expected = [...connected.values()].flat().map((s) => s.Networks[NET]!.IPAddress).sort();
    const t = Date.now();
    for (const h of hosts) {
      let last: string[] = [];
      await waitUntil(
        `300 peer records on ${h.name}`,
        async () => {
          last = await peerAddresses(h, NET);
          return last.length === expected.length;
        },
        60_000,
        250,
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}: ${h.name} holds ${last.length}`);
      });
      assert.deepEqual(last, expected, `${h.name}'s table names exactly the connected endpoints`);
    }
    log(`tables converged ${Date.now() - t} ms after the last connect answered`);
  });

  it("30 cross-host pairs reach each other from inside their sandboxes", async () => {
    const pairs: [SandboxInfo, SandboxInfo][] = [];
    for (let k = 0; k < 30; k++) {
      const from = hosts[k % 3]!;
      const to = hosts[(k + 1 + (k % 2)) % 3]!; // alternate between the two other hosts
      pairs.push([connected.get(from)![(k * 7) % PER_HOST]!, connected.get(to)![(k * 13 + 5) % PER_HOST]!]);
    }
    // Ten at a time: each ping is a process, and the two CPUs are shared.
    const failed: string[] = [];
    for (let i = 0; i < pairs.length; i += 10) {
      await Promise.all(
        pairs.slice(i, i + 10).map(async ([a, b]) => {
          const target = b.Networks[NET]!.IPAddress;
          // A first ARP/FDB resolution may lose one packet: up to three tries, not a sleep.
          for (let attempt = 0; attempt < 3; attempt++) if (await pingFrom(a.Key, target)) return;
          failed.push(`${a.Name} -> ${b.Name} (${target})`);
        }),
      );
    }
    assert.deepEqual(failed, [], "every sampled pair answers");
    // The control: an address of the subnet no endpoint holds gets no answer, so the answers above are real.
    assert.equal(await pingFrom(pairs[0]![0].Key, "10.78.3.250"), false, "an unused address does not answer");
  });

  it("all 300 disconnect at once: every table empties, and the network can be deleted", async () => {
    const t = Date.now();
    const results = await Promise.allSettled(hosts.flatMap((h) => names(h).map((n) => disconnect(h, NET, n))));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    log(`300 concurrent disconnects took ${Date.now() - t} ms (${failures.length} failed)`);
    assert.deepEqual(failures.map((f) => String(f.reason).split("\n")[0]), []);
    for (const h of hosts) {
      await waitUntil(`${h.name}'s peer table empty`, async () => (await peerAddresses(h, NET)).length === 0, 30_000, 250);
      // With no endpoint left, the host has left the network's gossip too.
      await waitUntil(`${h.name} out of ${NET}'s gossip`, async () => (await apiOk<{ ID: string }[]>(h, "GET", "/cluster/networks")).length === 0, 30_000, 250);
      const still = (await sandboxes(h)).filter((s) => s.Networks[NET] !== undefined);
      assert.deepEqual(still.map((s) => s.Name), []);
    }
    // An endpoint whose etcd bookkeeping was deferred (etcd slower than a call's deadline) holds the network a little longer.
    let refusal = "";
    await waitUntil(
      `${NET} deleted`,
      async () => {
        const r = await api(hosts[2]!, "DELETE", `/networks/${NET}`);
        refusal = `${r.status} ${r.text}`;
        return r.status === 204;
      },
      30_000,
      500,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}: last answer ${refusal}`);
    });
    for (const h of hosts) await waitUntil(`${NET} gone from ${h.name}`, async () => !(await networks(h)).some((n) => n.Name === NET), 10_000);
  });
});
