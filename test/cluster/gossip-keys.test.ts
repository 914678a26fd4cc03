import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Testbed, type TestbedHost } from "../../src/testbed/index.js";
import { waitUntil } from "../../src/networkdb-node/launcher.js";
import { apiOk, clusterView, connect, createSandbox, networks, peerAddresses, pingFrom, type SandboxInfo } from "./cluster-api.js";

/**
 * An encrypted cluster (--gossip-key on every cnmd): hosts 1 and 2 share the
 * key and work as a cluster; host 3 has another key, host 4 none, and neither
 * gets in: no member list names them, and their endpoints' records never
 * reach hosts 1 and 2 although all four share etcd and so see the network.
 * Host 3, restarted with the cluster's key added, joins and its record
 * arrives (so what kept it out was the key, nothing else).
 */
const CLUSTER_KEY = randomBytes(32).toString("base64");
const OTHER_KEY = randomBytes(16).toString("base64");
const OV = "ovk";
/** How long "never" is watched for: several of the outsiders' rejoin attempts (every 2 s) and gossip rounds. */
const NEVER_MS = 6000;

describe("gossip encryption: only hosts with the cluster's key join", () => {
  let bed: Testbed;
  let hosts: TestbedHost[];
  /** The keys each host's next start uses, by host index (1-based). */
  const keysOf = new Map<number, string[]>([
    [1, [CLUSTER_KEY]],
    [2, [CLUSTER_KEY]],
    [3, [OTHER_KEY]],
    [4, []],
  ]);
  const sb: SandboxInfo[] = [];
  const log = (m: string) => console.log(`# ${m}`);

  /** The addresses of the members a host sees alive, itself included, sorted. */
  const aliveMembers = async (h: TestbedHost): Promise<string[]> =>
    (await clusterView(h)).Members.filter((m) => m.State === "alive").map((m) => m.Addr.replace(/:\d+$/, "")).sort();
  const inspect = (h: TestbedHost, name: string): Promise<SandboxInfo> => apiOk(h, "GET", `/sandboxes/${name}`);
  /** Polls for NEVER_MS and fails the moment `bad` holds. */
  const holdsFor = async (what: string, bad: () => Promise<string | undefined>): Promise<void> => {
    const deadline = Date.now() + NEVER_MS;
    while (Date.now() < deadline) {
      const seen = await bad();
      assert.equal(seen, undefined, `${what}: ${seen}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  before(async () => {
    bed = await Testbed.start({
      hosts: 4,
      etcd: true,
      cnmdArgs: (h) => keysOf.get(h.index)!.flatMap((k) => ["--gossip-key", k]),
      onProgress: (m) => log(`testbed: ${m}`),
    });
    hosts = bed.hosts;
  });
  after(async () => {
    await bed?.close();
  });

  it("hosts 1 and 2 (same key) see each other; hosts 3 (other key) and 4 (no key) are in no one's member list", async () => {
    const [h1, h2, h3, h4] = hosts as [TestbedHost, TestbedHost, TestbedHost, TestbedHost];
    const insiders = [h1.address, h2.address].sort();
    for (const h of [h1, h2]) await waitUntil(`${h.name} to see hosts 1 and 2`, async () => (await aliveMembers(h)).join() === insiders.join(), 15_000);
    // The outsiders keep trying (their join is retried every 2 s); it must keep failing.
    await holdsFor("an outsider got in", async () => {
      for (const h of [h1, h2]) {
        const seen = (await clusterView(h)).Members.map((m) => m.Addr).filter((a) => a.startsWith(h3.address) || a.startsWith(h4.address));
        if (seen.length > 0) return `${h.name} lists ${seen.join(", ")}`;
      }
      for (const h of [h3, h4]) {
        const members = await aliveMembers(h);
        if (members.join() !== h.address) return `${h.name} sees ${members.join(", ")}`;
      }
      return undefined;
    });
    for (const h of [h3, h4]) assert.match(h.logTail(20_000), /cannot join/, `${h.name} logs its failed joins`);
  });

  it("the overlay works between the keyed hosts", async () => {
    const [h1, h2] = hosts as [TestbedHost, TestbedHost];
    await apiOk(h1, "POST", "/networks/create", { Name: OV, Driver: "overlay", Attachable: true, IPAM: { Config: [{ Subnet: "10.84.0.0/24" }] } });
    for (const h of hosts) await waitUntil(`${OV} listed on ${h.name} (etcd is shared by all four)`, async () => (await networks(h)).some((n) => n.Name === OV), 10_000);
    for (const [i, h] of [h1, h2].entries()) {
      await createSandbox(h, `s${i + 1}`);
      await connect(h, OV, `s${i + 1}`);
      sb[i] = await inspect(h, `s${i + 1}`);
    }
    for (const h of [h1, h2]) await waitUntil(`2 records on ${h.name}`, async () => (await peerAddresses(h, OV)).length === 2, 10_000);
    await waitUntil("s1 reaches s2", () => pingFrom(sb[0]!.Key, sb[1]!.Networks[OV]!.IPAddress), 10_000, 200);
    assert.ok(await pingFrom(sb[1]!.Key, sb[0]!.Networks[OV]!.IPAddress), "s2 reaches s1");
  });

  it("the outsiders' endpoints on the same network never reach the keyed hosts", async () => {
    const [h1, h2, h3, h4] = hosts as [TestbedHost, TestbedHost, TestbedHost, TestbedHost];
    for (const [i, h] of [h3, h4].entries()) {
      await createSandbox(h, `s${i + 3}`);
      await connect(h, OV, `s${i + 3}`);
      sb[i + 2] = await inspect(h, `s${i + 3}`);
    }
    const insiders = [sb[0]!, sb[1]!].map((s) => s.Networks[OV]!.IPAddress).sort();
    for (const [i, h] of [h3, h4].entries()) {
      assert.deepEqual(await peerAddresses(h, OV), [sb[i + 2]!.Networks[OV]!.IPAddress], `${h.name} holds its own record only`);
    }
    await holdsFor("an outsider's record arrived", async () => {
      for (const h of [h1, h2]) {
        const held = await peerAddresses(h, OV);
        if (held.join() !== insiders.join()) return `${h.name} holds ${held.join(", ")}`;
      }
      return undefined;
    });
    assert.equal(await pingFrom(sb[0]!.Key, sb[2]!.Networks[OV]!.IPAddress), false, "s1 cannot reach s3: no tunnel to a host it does not know");
  });

  it("host 3 restarted with the cluster's key (its own kept for decryption) joins, and its record arrives", async () => {
    const [h1, h2, h3] = hosts as [TestbedHost, TestbedHost, TestbedHost];
    keysOf.set(3, [CLUSTER_KEY, OTHER_KEY]);
    await h3.stopDaemon();
    await h3.startDaemon();
    const expected = [h1.address, h2.address, h3.address].sort().join();
    for (const h of [h1, h2, h3]) await waitUntil(`${h.name} to see hosts 1-3`, async () => (await aliveMembers(h)).join() === expected, 15_000);
    const s3 = sb[2]!.Networks[OV]!.IPAddress;
    for (const h of [h1, h2]) await waitUntil(`s3's record on ${h.name}`, async () => (await peerAddresses(h, OV)).includes(s3), 15_000);
    await waitUntil("s1 reaches s3", () => pingFrom(sb[0]!.Key, s3), 10_000, 200);
    // Host 4 (no key) is still out.
    for (const h of [h1, h2, h3]) assert.ok(!(await aliveMembers(h)).includes(hosts[3]!.address), `${h.name} does not list host 4`);
  });
});
