import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Testbed, type TestbedHost } from "../../src/testbed/index.js";
import { waitUntil as waitFor } from "../../src/networkdb-node/launcher.js";

/**
 * The three-host story through the real daemons: one overlay network
 * created on host 1, a sandbox per host, reachability over VXLAN, and peer
 * records that leave and come back with disconnect, kill -9 and restart.
 */
describe("overlay across three cnmd hosts (etcd + NetworkDB)", () => {
  let bed: Testbed;
  let hosts: TestbedHost[];
  const addr: string[] = [];

  const cnm = async (h: TestbedHost, args: string[]): Promise<string> => {
    const r = await h.cnm(args, { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `cnm ${args.join(" ")} on ${h.name} failed (${r.code}): ${r.stderr}\n--- cnmd log ---\n${h.logTail(3000)}`);
    return r.stdout;
  };
  const ping = async (from: TestbedHost, sandbox: string, to: string, extra: string[] = []): Promise<boolean> => {
    const r = await from.cnm(["sandbox", "exec", sandbox, "--", "ping", "-c", "1", "-W", "1", ...extra, to], { timeoutMs: 15_000 });
    return r.code === 0;
  };
  const peerKeys = async (h: TestbedHost): Promise<string[]> => {
    const out = await cnm(h, ["cluster", "table", "ov", "overlay_peer_table", "--format", "json"]);
    return out
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => (JSON.parse(l) as { Decoded?: { endpointIp?: string } }).Decoded?.endpointIp ?? "?")
      .sort();
  };
  const address = async (h: TestbedHost, sandbox: string): Promise<string> => {
    const [view] = JSON.parse(await cnm(h, ["sandbox", "inspect", sandbox, "--format", "json"])) as { Networks: Record<string, { IPAddress: string }> }[];
    return view!.Networks["ov"]!.IPAddress;
  };

  before(async () => {
    bed = await Testbed.start({ hosts: 3, etcd: true, onProgress: (m) => console.log(`# testbed: ${m}`) });
    hosts = bed.hosts;
  });
  after(async () => {
    await bed?.close();
  });

  it("cnm cluster members: every host sees the three, itself marked", async () => {
    for (const h of hosts) {
      await waitFor(`3 alive members on ${h.name}`, async () => {
        const members = (await cnm(h, ["cluster", "members", "--format", "json"])).trim().split("\n").map((l) => JSON.parse(l) as { Addr: string; State: string; Self: boolean });
        const alive = members.filter((m) => m.State === "alive");
        return alive.length === 3 && alive.find((m) => m.Self)?.Addr === h.address;
      }, 10_000);
    }
  });

  it("a network created on host 1 is listed on hosts 2 and 3", async () => {
    await cnm(hosts[0]!, ["network", "create", "-d", "overlay", "--subnet", "10.77.0.0/24", "--attachable", "ov"]);
    for (const h of hosts.slice(1)) {
      await waitFor(`ov listed on ${h.name}`, async () => (await cnm(h, ["network", "ls", "--format", "json"])).includes('"Name":"ov"'), 5000);
    }
  });

  it("a sandbox on each host, connected: every pair reaches the other", async () => {
    for (const [i, h] of hosts.entries()) {
      await cnm(h, ["sandbox", "create", `s${i + 1}`]);
      await cnm(h, ["network", "connect", "ov", `s${i + 1}`]);
      addr[i] = await address(h, `s${i + 1}`);
    }
    assert.equal(new Set(addr).size, 3, `three distinct addresses: ${addr.join(", ")}`);
    for (const h of hosts) await waitFor(`3 peer records on ${h.name}`, async () => (await peerKeys(h)).length === 3, 5000);
    const joined = JSON.parse((await cnm(hosts[0]!, ["cluster", "networks", "--format", "json"])).trim()) as { Name: string; Nodes: string[] };
    assert.equal(joined.Name, "ov");
    assert.equal(joined.Nodes.length, 3, "all three hosts take part in ov's gossip");
    for (const [i, h] of hosts.entries()) {
      for (const [j] of hosts.entries()) {
        if (i !== j) assert.ok(await ping(h, `s${i + 1}`, addr[j]!), `s${i + 1} on ${h.name} reaches s${j + 1} at ${addr[j]}`);
      }
    }
  });

  it("a sandbox on the overlay alone gets its way out through docker_gwbridge, as in Docker", async () => {
    const [view] = JSON.parse(await cnm(hosts[0]!, ["sandbox", "inspect", "s1", "--format", "json"])) as { Networks: Record<string, { Gateway: string }> }[];
    assert.deepEqual(Object.keys(view!.Networks).sort(), ["docker_gwbridge", "ov"]);
    assert.notEqual(view!.Networks["docker_gwbridge"]!.Gateway, "", "the default gateway is on docker_gwbridge");
    // Out through host 1 and its masquerade to host 2's underlay address.
    assert.ok(await ping(hosts[0]!, "s1", hosts[1]!.address), "s1 reaches beyond its host");
  });

  it("a 1400-byte ping with DF set crosses hosts (the overlay's MTU is the underlay's minus VXLAN)", async () => {
    assert.ok(await ping(hosts[0]!, "s1", addr[1]!, ["-M", "do", "-s", "1400"]));
  });

  it("host 2 disconnects: its record leaves hosts 1 and 3, its old address stops answering; back after reconnecting", async () => {
    await cnm(hosts[1]!, ["network", "disconnect", "ov", "s2"]);
    for (const h of [hosts[0]!, hosts[2]!]) await waitFor(`s2's record gone from ${h.name}`, async () => (await peerKeys(h)).length === 2, 5000);
    assert.equal(await ping(hosts[0]!, "s1", addr[1]!), false, "s2's old address no longer answers");
    const [s2] = JSON.parse(await cnm(hosts[1]!, ["sandbox", "inspect", "s2", "--format", "json"])) as { Networks: Record<string, unknown> }[];
    assert.deepEqual(Object.keys(s2!.Networks), [], "without the overlay, s2 needs no way out: its docker_gwbridge endpoint went too");
    await cnm(hosts[1]!, ["network", "connect", "ov", "s2"]);
    addr[1] = await address(hosts[1]!, "s2");
    for (const h of [hosts[0]!, hosts[2]!]) await waitFor(`s2's record back on ${h.name}`, async () => (await peerKeys(h)).length === 3, 5000);
    assert.ok(await ping(hosts[0]!, "s1", addr[1]!));
  });

  it("host 3's cnmd killed with -9: its record leaves the others; restarted, it is back and reachable", async () => {
    await hosts[2]!.killDaemon();
    for (const h of [hosts[0]!, hosts[1]!]) await waitFor(`host 3's record gone from ${h.name}`, async () => (await peerKeys(h)).length === 2, 15_000);
    await hosts[2]!.startDaemon();
    for (const h of [hosts[0]!, hosts[1]!]) await waitFor(`host 3's record back on ${h.name}`, async () => (await peerKeys(h)).length === 3, 15_000);
    await waitFor("s1 reaches s3 again", () => ping(hosts[0]!, "s1", addr[2]!), 10_000);
    assert.ok(await ping(hosts[2]!, "s3", addr[0]!));
  });

  it("deleting the network is refused while any host has endpoints; allowed once all are gone", async () => {
    const refused = await hosts[0]!.cnm(["network", "rm", "ov"]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /endpoint/i);
    for (const [i, h] of hosts.entries()) await cnm(h, ["sandbox", "rm", `s${i + 1}`]);
    for (const h of hosts) await waitFor(`table empty on ${h.name}`, async () => (await h.cnm(["cluster", "networks", "--format", "json"])).stdout.trim() === "", 10_000);
    await cnm(hosts[1]!, ["network", "rm", "ov"]);
    for (const h of hosts) await waitFor(`ov gone from ${h.name}`, async () => !(await cnm(h, ["network", "ls", "--format", "json"])).includes('"Name":"ov"'), 5000);
  });
});
