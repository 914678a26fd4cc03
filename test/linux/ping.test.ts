// End to end: two namespaces joined by a veth pair, configured only through
// the API the way the bridge driver will (peer created inside the namespace,
// renamed, MAC, MTU, addresses, up, default route), then a real ping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { sysctlSet } from "../../src/linux/index.js";
import { Cleanup, icmpEcho, uniquePrefix } from "./helpers.js";

test("ping between two namespaces over IPv4 and IPv6", () => {
  const p = uniquePrefix();
  const cleanup = new Cleanup();
  try {
    const nsA = `${p}a`;
    const nsB = `${p}b`;
    const pathA = cleanup.netns(nsA);
    const pathB = cleanup.netns(nsB);
    const a = cleanup.handle(pathA);
    const b = cleanup.handle(pathB);
    // IPv6 is on by default in a fresh namespace; set it explicitly as the driver will.
    sysctlSet("net.ipv6.conf.all.disable_ipv6", 0, { namespace: pathB });

    // Created from A with the peer made directly inside B.
    a.linkAdd({ kind: "veth", name: "tmp0", peerName: "tmp1", peerNamespace: pathB, mtu: 1400 });
    a.linkSet("tmp0", { name: "eth0", mac: "02:42:0a:01:00:01", up: true });
    b.linkSet("tmp1", { name: "eth0", mac: "02:42:0a:01:00:02", up: true });
    a.linkSetUp("lo");
    b.linkSetUp("lo");
    a.addrAdd("eth0", "10.1.0.1/24");
    b.addrAdd("eth0", "10.1.0.2/24");
    a.addrAdd("eth0", "fd00:1::1/64", { noDad: true });
    b.addrAdd("eth0", "fd00:1::2/64", { noDad: true });
    b.routeAdd({ gateway: "10.1.0.1" });
    // A static route in A pointing at B, for an address B holds on lo.
    b.addrAdd("lo", "10.99.0.1/32");
    a.routeAdd({ dst: "10.99.0.0/24", gateway: "10.1.0.2" });

    assert.ok(icmpEcho(nsA, "10.1.0.2"), "A -> B");
    assert.ok(icmpEcho(nsB, "10.1.0.1"), "B -> A");
    assert.ok(icmpEcho(nsA, "fd00:1::2"), "A -> B over IPv6");
    assert.ok(icmpEcho(nsA, "10.99.0.1"), "A -> B's loopback address via the static route");
    assert.equal(icmpEcho(nsA, "10.98.0.1"), false, "no route, no reply");

    // The neighbour A learned for B carries B's MAC as set through the API.
    const learned = a.neighList({ link: "eth0", family: 4 }).find((n) => n.ip === "10.1.0.2");
    assert.equal(learned?.mac, "02:42:0a:01:00:02");
  } finally {
    cleanup.run();
  }
});
