import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { runCommand, Testbed, type TestbedHost } from "../../src/testbed/index.js";
import { overlayNamespaceName } from "../../src/drivers/overlay/names.js";
import { waitUntil } from "../../src/networkdb-node/launcher.js";
import { apiOk, connect, createSandbox, networks, peerAddresses, pingFrom, type SandboxInfo } from "./cluster-api.js";

/**
 * An endpoint's peer record lives exactly as long as its endpoint, seen from
 * the other hosts: it leaves when the sandbox is removed, and when the
 * sandbox's namespace vanished while cnmd was down, the restarted cnmd does
 * what Docker's live restore does for a container it still knows: the
 * sandbox comes back (namespace made again at the same path, same address)
 * and its record is republished, once, so the others reach it again.
 */
const OV = "ovl";

describe("peer records follow their sandboxes (removal, namespace lost across a restart)", () => {
  let bed: Testbed;
  let hosts: TestbedHost[];
  let networkId = "";
  const sb: SandboxInfo[] = [];
  const log = (m: string) => console.log(`# ${m}`);
  const inspect = (h: TestbedHost, name: string): Promise<SandboxInfo> => apiOk(h, "GET", `/sandboxes/${name}`);
  const addressOf = (s: SandboxInfo): string => s.Networks[OV]!.IPAddress;

  before(async () => {
    bed = await Testbed.start({ hosts: 3, etcd: true, onProgress: (m) => log(`testbed: ${m}`) });
    hosts = bed.hosts;
    networkId = (await apiOk<{ Id: string }>(hosts[0]!, "POST", "/networks/create", { Name: OV, Driver: "overlay", Attachable: true, IPAM: { Config: [{ Subnet: "10.85.0.0/24" }] } })).Id;
    for (const h of hosts) await waitUntil(`${OV} listed on ${h.name}`, async () => (await networks(h)).some((n) => n.Name === OV), 10_000);
    for (const [i, h] of hosts.entries()) {
      await createSandbox(h, `s${i + 1}`);
      await connect(h, OV, `s${i + 1}`);
      sb[i] = await inspect(h, `s${i + 1}`);
    }
    for (const h of hosts) await waitUntil(`3 records on ${h.name}`, async () => (await peerAddresses(h, OV)).length === 3, 10_000);
  });
  after(async () => {
    await bed?.close();
  });

  it("cnm sandbox rm: the record leaves every other host, the address stops answering, the host leaves the network", async () => {
    const h2 = hosts[1]!;
    const overlayNamespace = overlayNamespaceName(h2.cnmdPrefix, networkId);
    assert.ok(existsSync(`/run/netns/${overlayNamespace}`), "host 2 has the network's overlay namespace while s2 is on it");
    const r = await h2.cnm(["sandbox", "rm", "s2"]);
    assert.equal(r.code, 0, r.stderr);
    const rest = [addressOf(sb[0]!), addressOf(sb[2]!)].sort();
    for (const h of [hosts[0]!, hosts[2]!]) await waitUntil(`s2's record gone from ${h.name}`, async () => (await peerAddresses(h, OV)).join() === rest.join(), 10_000);
    assert.equal(await pingFrom(sb[0]!.Key, addressOf(sb[1]!)), false, "s2's address no longer answers");
    assert.ok(!existsSync(sb[1]!.Key), "s2's namespace is gone");
    // Its last endpoint gone, host 2 keeps the network listed (it is the cluster's) but nothing of it in its kernel or gossip.
    assert.ok((await networks(h2)).some((n) => n.Name === OV));
    await waitUntil("host 2 out of the network's gossip", async () => (await apiOk<unknown[]>(h2, "GET", "/cluster/networks")).length === 0, 10_000);
    assert.ok(!existsSync(`/run/netns/${overlayNamespace}`), "host 2's overlay namespace for the network is gone");
    assert.ok(await pingFrom(sb[0]!.Key, addressOf(sb[2]!)), "s1 still reaches s3");
  });

  it("s3's namespace deleted while host 3's cnmd is down: restarted, s3 comes back at the same path and address, republished once", async () => {
    const h3 = hosts[2]!;
    const before3 = sb[2]!;
    await h3.stopDaemon();
    const name = before3.Key.slice(before3.Key.lastIndexOf("/") + 1);
    const del = await runCommand(["ip", "netns", "delete", name]);
    assert.equal(del.code, 0, del.stderr);
    assert.ok(!existsSync(before3.Key));
    await h3.startDaemon();
    const after3 = await inspect(h3, "s3");
    assert.equal(after3.Key, before3.Key, "the namespace is made again at the same path");
    assert.ok(existsSync(after3.Key));
    assert.equal(addressOf(after3), addressOf(before3), "the same address");
    assert.equal(after3.Networks[OV]!.EndpointID, before3.Networks[OV]!.EndpointID, "the same endpoint");
    const expected = [addressOf(sb[0]!), addressOf(before3)].sort();
    for (const h of [hosts[0]!, h3]) {
      await waitUntil(`s1's and s3's records (once each) on ${h.name}`, async () => (await peerAddresses(h, OV)).join() === expected.join(), 15_000);
    }
    const inside = await runCommand(["nsenter", `--net=${after3.Key}`, "--", "ip", "-br", "-4", "addr", "show"]);
    assert.match(inside.stdout, new RegExp(`${addressOf(before3).replaceAll(".", "\\.")}/24`), `s3 has its address inside the new namespace:\n${inside.stdout}`);
    await waitUntil("s1 reaches s3 again", () => pingFrom(sb[0]!.Key, addressOf(before3)), 15_000, 200);
    assert.ok(await pingFrom(after3.Key, addressOf(sb[0]!)), "s3 reaches s1");
    // Nothing of s3's first life remains: this host's sandbox namespaces are exactly its sandboxes'.
    const own = readdirSync("/run/netns").filter((n) => n.startsWith(`${h3.cnmdPrefix}-`) && !n.includes("-ov-"));
    assert.deepEqual(own, [name]);
  });
});
