import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { runCommand, Testbed, type TestbedHost } from "../../src/testbed/index.js";
import { waitUntil } from "../../src/networkdb-node/launcher.js";
import { api, apiOk, connect, createSandbox, networks, peerAddresses, pingFrom, sandboxes, type SandboxInfo } from "./cluster-api.js";
import { ETCD_KEYS_SCRIPT } from "./etcd-keys.js";

/**
 * etcd dies under a running cluster. What needs it (creating a global
 * network, an address on one) fails at once with a 503 that names the
 * store, and leaves nothing behind; what does not (local networks, the
 * overlay data path, gossip, leaving a network) carries on. Once etcd is
 * back, global operations work again without restarting any daemon, and
 * what the departures left to do in etcd (releasing addresses) is done.
 */
const OV = "ovout";

describe("the cluster store (etcd) goes away and comes back", () => {
  let bed: Testbed;
  let hosts: TestbedHost[];
  /** s1 on host 1, s2 on host 2, both on OV. */
  const sb: SandboxInfo[] = [];
  /** d1 and d2 on host 1, on OV: disconnected and removed during the outage. */
  const leaving: SandboxInfo[] = [];
  let keysBefore: string[] = [];
  let namespacesBefore: string[] = [];
  let linksBefore: string[][] = [];
  let networksBefore: string[][] = [];
  const log = (m: string) => console.log(`# ${m}`);

  /** Every key in etcd, read from inside host 1 (the test process has no route to the underlay). */
  const etcdKeys = async (): Promise<string[]> => {
    const r = await hosts[0]!.exec([process.execPath, ETCD_KEYS_SCRIPT, bed.etcd!.endpoint], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, `reading etcd's keys: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  };
  /** This testbed's namespaces (hosts, sandboxes, overlay namespaces), sorted. */
  const namespaces = (): string[] => {
    const mine = [bed.prefix, ...hosts.map((h) => h.cnmdPrefix)].map((p) => `${p}-`);
    return readdirSync("/run/netns").filter((n) => mine.some((p) => n.startsWith(p))).sort();
  };
  /** Each host's interfaces (names only), sorted. */
  const links = (): Promise<string[][]> =>
    Promise.all(
      hosts.map(async (h) => {
        const r = await h.exec(["ip", "-o", "link", "show"]);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.split("\n").filter((l) => l !== "").map((l) => l.split(":")[1]!.trim().split("@")[0]!).sort();
      }),
    );
  const networkNames = async (h: TestbedHost): Promise<string[]> => (await networks(h)).map((n) => n.Name).sort();
  const addressOf = (s: SandboxInfo, net: string): string => s.Networks[net]!.IPAddress;
  const inspect = async (h: TestbedHost, name: string): Promise<SandboxInfo> => apiOk(h, "GET", `/sandboxes/${name}`);

  before(async () => {
    bed = await Testbed.start({ hosts: 2, etcd: true, onProgress: (m) => log(`testbed: ${m}`) });
    hosts = bed.hosts;
    await apiOk(hosts[0]!, "POST", "/networks/create", { Name: OV, Driver: "overlay", Attachable: true, IPAM: { Config: [{ Subnet: "10.80.0.0/24" }] } });
    await waitUntil(`${OV} listed on h2`, async () => (await networkNames(hosts[1]!)).includes(OV), 10_000);
    for (const [i, h] of hosts.entries()) {
      await createSandbox(h, `s${i + 1}`);
      await connect(h, OV, `s${i + 1}`);
      sb[i] = await inspect(h, `s${i + 1}`);
    }
    for (const name of ["d1", "d2"]) {
      await createSandbox(hosts[0]!, name);
      await connect(hosts[0]!, OV, name);
      leaving.push(await inspect(hosts[0]!, name));
    }
    for (const h of hosts) await waitUntil(`4 peer records on ${h.name}`, async () => (await peerAddresses(h, OV)).length === 4, 10_000);
    assert.ok(await pingFrom(sb[0]!.Key, addressOf(sb[1]!, OV)), "s1 reaches s2 before the outage");
    keysBefore = await etcdKeys();
    namespacesBefore = namespaces();
    linksBefore = await links();
    networksBefore = await Promise.all(hosts.map(networkNames));
    await bed.etcd!.kill();
    log(`etcd killed (${keysBefore.length} keys in it)`);
  });
  after(async () => {
    await bed?.close();
  });

  it("creating a global network fails within seconds with a 503 naming the unreachable store", async () => {
    for (const h of hosts) {
      const t = Date.now();
      const r = await api(h, "POST", "/networks/create", { Name: "ovnew", Driver: "overlay", IPAM: { Config: [{ Subnet: "10.81.0.0/24" }] } }, 30_000);
      const elapsed = Date.now() - t;
      log(`global create on ${h.name} during the outage: ${r.status} after ${elapsed} ms`);
      assert.equal(r.status, 503, r.text);
      const message = (JSON.parse(r.text) as { message: string }).message;
      assert.match(message, new RegExp(`cluster store etcd://${bed.etcd!.endpoint.replaceAll(".", "\\.")} is unreachable`));
      assert.ok(elapsed < 8000, `answered in ${elapsed} ms, not a hang`);
    }
  });

  it("connecting a new sandbox to the overlay network fails the same way, and leaves it unconnected", async () => {
    await createSandbox(hosts[0]!, "late");
    const t = Date.now();
    const r = await api(hosts[0]!, "POST", `/networks/${OV}/connect`, { Container: "late" }, 30_000);
    log(`overlay connect during the outage: ${r.status} after ${Date.now() - t} ms`);
    assert.equal(r.status, 503, r.text);
    assert.match((JSON.parse(r.text) as { message: string }).message, /cluster store .* is unreachable/);
    assert.deepEqual(Object.keys((await inspect(hosts[0]!, "late")).Networks), []);
    assert.deepEqual(await peerAddresses(hosts[1]!, OV), [...sb, ...leaving].map((s) => addressOf(s, OV)).sort(), "no record for it reached host 2");
  });

  it("local bridge networks keep working: create, connect two sandboxes, ping", async () => {
    const h = hosts[1]!;
    await apiOk(h, "POST", "/networks/create", { Name: "br", Driver: "bridge", IPAM: { Config: [{ Subnet: "10.82.0.0/24" }] } });
    const local: SandboxInfo[] = [];
    for (const name of ["b1", "b2"]) {
      await createSandbox(h, name);
      await connect(h, "br", name);
      local.push(await inspect(h, name));
    }
    assert.ok(await pingFrom(local[0]!.Key, addressOf(local[1]!, "br")), "b1 reaches b2 on the bridge");
  });

  it("the overlay's existing sandboxes keep reaching each other across hosts (the data path needs no etcd)", async () => {
    assert.ok(await pingFrom(sb[0]!.Key, addressOf(sb[1]!, OV)), "s1 reaches s2");
    assert.ok(await pingFrom(sb[1]!.Key, addressOf(sb[0]!, OV)), "s2 reaches s1");
    for (const h of hosts) assert.equal((await peerAddresses(h, OV)).length, 4, `${h.name}'s peer table is intact`);
  });

  it("leaving needs no etcd: a disconnect and a sandbox rm succeed, and their records leave host 2", async () => {
    const [h1, h2] = hosts as [TestbedHost, TestbedHost];
    await apiOk(h1, "POST", `/networks/${OV}/disconnect`, { Container: "d1" });
    const rm = await h1.cnm(["sandbox", "rm", "d2"]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(Object.keys((await inspect(h1, "d1")).Networks), []);
    assert.ok(!existsSync(leaving[1]!.Key), "d2's namespace is gone");
    const remaining = sb.map((s) => addressOf(s, OV)).sort();
    await waitUntil("d1's and d2's records gone from h2", async () => (await peerAddresses(h2, OV)).join() === remaining.join(), 10_000);
    assert.equal(await pingFrom(sb[1]!.Key, addressOf(leaving[0]!, OV)), false, "d1's old address no longer answers");
    // Connecting d1 again needs etcd (an address): the store's 503, not its own departed endpoint's name in the way.
    const again = await api(h1, "POST", `/networks/${OV}/connect`, { Container: "d1" });
    assert.equal(again.status, 503, again.text);
    assert.match(again.text, /cluster store .* is unreachable/);
  });

  it("etcd back: nothing was half-made (networks, namespaces, links, keys as before)", async () => {
    await bed.etcd!.restart();
    log("etcd restarted");
    for (const [i, h] of hosts.entries()) {
      const expected = [...networksBefore[i]!, ...(h === hosts[1] ? ["br"] : [])].sort();
      assert.deepEqual(await networkNames(h), expected, `${h.name} lists no network the failed create would have made`);
    }
    // The departures' deferred work done: d1's and d2's registrations and addresses gone, nothing else changed.
    const departed = leaving.map((s) => s.Networks[OV]!.EndpointID);
    let keysNow: string[] = [];
    await waitUntil(
      "the departures' keys to leave etcd",
      async () => {
        keysNow = await etcdKeys();
        return departed.every((eid) => !keysNow.some((k) => k.endsWith(`/${eid}`)));
      },
      30_000,
      500,
    );
    assert.deepEqual(keysNow.filter((k) => !keysBefore.includes(k)), [], "no key was added");
    const removed = keysBefore.filter((k) => !keysNow.includes(k));
    assert.equal(removed.length, 4, `exactly d1's and d2's endpoint and address keys went: ${removed.join(", ")}`);
    assert.equal(removed.filter((k) => departed.some((eid) => k.endsWith(`/${eid}`))).length, 2);
    assert.equal(removed.filter((k) => k.includes("/addr/")).length, 2);
    // Nor does host 1 list them on the network any more.
    const net = await apiOk<{ Containers: Record<string, { Name: string }> }>(hosts[0]!, "GET", `/networks/${OV}`);
    assert.deepEqual(Object.values(net.Containers).map((c) => c.Name).sort(), ["s1"]);
    // The bridge network and its two sandboxes are the only new kernel objects (and "late"'s namespace).
    const lateKey = (await inspect(hosts[0]!, "late")).Key;
    const localKeys = (await sandboxes(hosts[1]!)).filter((s) => s.Name === "b1" || s.Name === "b2").map((s) => s.Key);
    const base = (k: string) => k.slice(k.lastIndexOf("/") + 1);
    const expectedNamespaces = [...namespacesBefore.filter((n) => n !== base(leaving[1]!.Key)), ...[lateKey, ...localKeys].map(base)].sort();
    assert.deepEqual(namespaces(), expectedNamespaces, "no overlay namespace or other namespace leaked");
    const linksNow = await links();
    assert.deepEqual(linksNow[0]!.filter((l) => !linksBefore[0]!.includes(l)), [], "host 1 has no new interface (no vxlan or bridge from the failed create or connect)");
    const gone = linksBefore[0]!.filter((l) => !linksNow[0]!.includes(l));
    assert.equal(gone.length, 2, `host 1 lost only d1's and d2's veths to the gateway bridge: ${gone.join(", ")}`);
    const added = linksNow[1]!.filter((l) => !linksBefore[1]!.includes(l));
    assert.equal(added.length, 3, `host 2 gained only the local bridge and two veths: ${added.join(", ")}`);
  });

  it("etcd back: global creates and connects work again (after the clients reconnect)", async () => {
    const t = Date.now();
    await waitUntil(
      "a global create to succeed again",
      async () => (await api(hosts[1]!, "POST", "/networks/create", { Name: "ovnew", Driver: "overlay", Attachable: true, IPAM: { Config: [{ Subnet: "10.81.0.0/24" }] } })).status === 201,
      30_000,
      500,
    );
    log(`global create succeeded ${Date.now() - t} ms after etcd's restart`);
    // The watch on host 1 has resumed too: it learns of the network made on host 2.
    await waitUntil("ovnew listed on h1", async () => (await networkNames(hosts[0]!)).includes("ovnew"), 15_000);
    await connect(hosts[0]!, "ovnew", "late");
    await connect(hosts[1]!, "ovnew", "s2");
    await connect(hosts[0]!, OV, "late");
    await connect(hosts[0]!, OV, "d1"); // its name on the network is free again
    const late = await inspect(hosts[0]!, "late");
    const s2 = await inspect(hosts[1]!, "s2");
    for (const h of hosts) {
      await waitUntil(`ovnew's 2 records on ${h.name}`, async () => (await peerAddresses(h, "ovnew")).length === 2, 10_000);
      await waitUntil(`${OV}'s 4 records on ${h.name}`, async () => (await peerAddresses(h, OV)).length === 4, 10_000);
    }
    await waitUntil("late reaches s2 on ovnew", () => pingFrom(late.Key, addressOf(s2, "ovnew")), 10_000, 200);
    await waitUntil(`late reaches s2 on ${OV}`, () => pingFrom(late.Key, addressOf(s2, OV)), 10_000, 200);
  });

  it("etcd silent (its underlay port down, packets dropped, no refusal): a global create fails at the call deadline, not a hang", async () => {
    const port = async (state: "up" | "down") => {
      const r = await runCommand(["ip", "-n", bed.underlayNetns, "link", "set", "etcd", state]);
      assert.equal(r.code, 0, r.stderr);
    };
    await port("down");
    try {
      const t = Date.now();
      const r = await api(hosts[0]!, "POST", "/networks/create", { Name: "ovsilent", Driver: "overlay", IPAM: { Config: [{ Subnet: "10.83.0.0/24" }] } }, 60_000);
      const elapsed = Date.now() - t;
      log(`global create with etcd silent: ${r.status} after ${elapsed} ms`);
      assert.equal(r.status, 503, r.text);
      assert.match((JSON.parse(r.text) as { message: string }).message, /cluster store .* is unreachable/);
      assert.ok(elapsed < 15_000, `answered in ${elapsed} ms`);
      // The existing overlay's data path does not care either.
      assert.ok(await pingFrom(sb[0]!.Key, addressOf(sb[1]!, OV)), "s1 still reaches s2");
    } finally {
      await port("up");
    }
    await waitUntil(
      "a global create to succeed once etcd answers again",
      async () => (await api(hosts[0]!, "POST", "/networks/create", { Name: "ovsilent", Driver: "overlay", IPAM: { Config: [{ Subnet: "10.83.0.0/24" }] } })).status === 201,
      30_000,
      500,
    );
    await waitUntil("ovsilent listed on h2", async () => (await networkNames(hosts[1]!)).includes("ovsilent"), 15_000);
  });
});
