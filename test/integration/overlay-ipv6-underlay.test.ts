/**
 * The overlay driver over an IPv6 underlay (2001:db8:ff::/64): tunnels from
 * and to IPv6 addresses, and 70 bytes of headers taken from the MTU.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canPing, inSandbox } from "./helpers.js";
import { OverlayTestbed, waitFor } from "./overlay-hosts.js";

describe("overlay driver over an IPv6 underlay", () => {
  const bed = new OverlayTestbed();

  before(async () => {
    await bed.start(["A", "B"], 6);
    await bed.discoverSelves();
  });
  after(() => bed.close());

  it("sandboxes on two hosts talk through IPv6 tunnels at the underlay's MTU minus 70", async () => {
    const [a, b] = bed.hosts as [(typeof bed.hosts)[0], (typeof bed.hosts)[0]];
    const net = await a.c.createNetwork({ name: "ov6", driver: "overlay", ipam: { config: [{ subnet: "10.210.0.0/24" }] } });
    await b.c.createNetwork({ id: net.id, name: "ov6", driver: "overlay", ipam: { config: [{ subnet: "10.210.0.0/24" }] } });
    await a.c.createSandbox({ name: "sA" });
    await b.c.createSandbox({ name: "sB" });
    await a.c.connect("ov6", "sA", { ipv4Address: "10.210.0.2" });
    await b.c.connect("ov6", "sB", { ipv4Address: "10.210.0.3" });
    const vx = `vx-${net.allocation["com.docker.network.driver.overlay.vxlanid_list"]}`;
    await waitFor("B to program A", () => bed.inOverlay(b, net.id, (nl) => nl.fdbList({ link: vx }).some((e) => e.self && e.dst === a.underlayIp)));
    bed.inOverlay(b, net.id, (nl) => {
      const link = nl.linkGet(vx);
      assert.equal(link.vxlan?.local, b.underlayIp);
      assert.equal(link.mtu, 1430);
    });
    const key = b.c.sandbox("sB").sandbox.key;
    assert.ok(await canPing(key, "10.210.0.2"));
    const full = await inSandbox(key, ["ping", "-c", "1", "-W", "2", "-M", "do", "-s", String(1430 - 28), "10.210.0.2"]);
    assert.equal(full.code, 0, full.stdout);
  });
});
