import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { InvalidParameterError } from "../../src/index.js";
import { decodeVlan, vlanInfoData } from "../../src/linux/link-kinds.js";
import { AttrMap, encodeAttrs, kernelConfigOption, NetlinkHandle } from "../../src/linux/index.js";
import { canPing, controllerFixture, leftoverLinks } from "../integration/helpers.js";
import { kernelHasVlan, linkDetails, makeSegment, type Segment } from "./segment.js";

describe("macvlan: VLAN sub-interfaces, bad input, ipvlan", () => {
  const fx = controllerFixture();
  const segments: Segment[] = [];
  const segment = (tag: string, addresses: string[], vlanId?: number): Segment => {
    const s = makeSegment(fx.prefix, tag, addresses, vlanId);
    segments.push(s);
    return s;
  };
  after(() => {
    for (const s of segments) s.remove();
  });
  const subnet = { config: [{ subnet: "198.51.100.0/24" }] };

  /** The request fails with a 400 whose message matches, and leaves no network, no pool and no link behind. */
  async function refused(options: Record<string, string>, message: RegExp): Promise<void> {
    const linksBefore = leftoverLinks(fx.prefix).sort();
    await assert.rejects(fx.c.createNetwork({ name: "bad", driver: "macvlan", ipam: subnet, options }), (err: Error) => {
      assert.ok(err instanceof InvalidParameterError, `${err.name}: ${err.message}`);
      assert.match(err.message, message);
      return true;
    });
    assert.equal(fx.c.networks().some((n) => n.name === "bad"), false);
    assert.deepEqual(leftoverLinks(fx.prefix).sort(), linksBefore);
  }

  it("refuses bad options with a clear 400 and keeps nothing", async () => {
    const seg = segment("pe", []);
    await refused({ parent: seg.parent, macvlan_mode: "promiscuous" }, /macvlan mode 'promiscuous' is not valid/);
    await refused({ parent: `${fx.prefix}nope` }, new RegExp(`parent interface ${fx.prefix}nope was not found`));
    await refused({ parent: "lo" }, /loopback interface is not a valid macvlan parent/);
    await refused({ parent: `${seg.parent}.4095` }, /vlan id must be between 1-4094, received: 4095/);
    await refused({ parent: `${seg.parent}.0` }, /vlan id must be between 1-4094, received: 0/);
    await refused({ parent: `${seg.parent}.x1` }, /unable to parse a valid vlan id/);
    await refused({ parent: `${fx.prefix}zz.10` }, new RegExp(`parent interface ${fx.prefix}zz of the VLAN sub-interface`));
    await refused({ parent: seg.parent, "com.docker.network.driver.mtu": "9000" }, /above the MTU 1500 of its parent/);
    // The pool went back to IPAM each time: the same subnet is free.
    await fx.c.createNetwork({ name: "good", driver: "macvlan", ipam: subnet, options: { parent: seg.parent } });
    await fx.c.deleteNetwork("good");
  });

  it("the vlan link kind encodes and decodes its id and protocol", () => {
    const data = encodeAttrs(vlanInfoData({ kind: "vlan", name: "x.10", parent: 1, vlanId: 10, protocol: "802.1ad" }));
    assert.deepEqual(decodeVlan(new AttrMap(data, 0)), { vlanId: 10, protocol: "802.1ad" });
    const plainQ = encodeAttrs(vlanInfoData({ kind: "vlan", name: "x.4094", parent: 1, vlanId: 4094 }));
    assert.deepEqual(decodeVlan(new AttrMap(plainQ, 0)), { vlanId: 4094, protocol: "802.1Q" });
    assert.throws(() => vlanInfoData({ kind: "vlan", name: "x.0", parent: 1, vlanId: 0 }), /out of range/);
  });

  it("parent=<link>.<vid> makes the 802.1q sub-interface and removes it with the network (or says the kernel cannot)", async (t) => {
    const withVlan = kernelHasVlan(fx.prefix);
    const seg = segment("pv", ["198.51.100.254/24"], withVlan ? 10 : undefined);
    const sub = `${seg.parent}.10`;
    if (!withVlan) {
      // This kernel has no 802.1q support: the network is refused with the reason, and nothing is left.
      await refused({ parent: sub }, /no 802\.1q VLAN support/);
      assert.equal(linkDetails(undefined, sub), undefined);
      t.diagnostic("kernel without CONFIG_VLAN_8021Q: only the refusal was checked");
      return;
    }
    await fx.c.createNetwork({ name: "mv-vlan", driver: "macvlan", ipam: subnet, options: { parent: sub } });
    const h = NetlinkHandle.open();
    try {
      const link = h.linkGet(sub);
      assert.equal(link.kind, "vlan");
      assert.equal(link.vlan?.vlanId, 10);
      assert.equal(link.parentIndex, h.linkGet(seg.parent).index);
      assert.ok(link.up);
    } finally {
      h.close();
    }
    const s = await fx.c.createSandbox({ name: "va" });
    await fx.c.connect("mv-vlan", "va");
    // The segment host answers only on its own vlan 10 link: the frames arrived tagged.
    assert.ok(await canPing(s.sandbox.key, "198.51.100.254"));
    await fx.c.deleteSandbox("va");
    await fx.c.deleteNetwork("mv-vlan");
    assert.equal(linkDetails(undefined, sub), undefined);

    // One the user made stays.
    execFileSync("ip", ["link", "add", "link", seg.parent, "name", sub, "type", "vlan", "id", "10"]);
    await fx.c.createNetwork({ name: "mv-vlan2", driver: "macvlan", ipam: subnet, options: { parent: sub } });
    await fx.c.deleteNetwork("mv-vlan2");
    assert.ok(linkDetails(undefined, sub));
    execFileSync("ip", ["link", "del", sub]);
  });

  it("an existing link with a dotted name is used as it is and left in place", async () => {
    // Any link may be named "x.7"; only an absent one is read as a sub-interface to make.
    const dotted = `${fx.prefix}x.7`;
    execFileSync("ip", ["link", "add", dotted, "type", "veth", "peer", "name", `${fx.prefix}x7p`]);
    try {
      execFileSync("ip", ["link", "set", dotted, "up"]);
      await fx.c.createNetwork({ name: "mv-dotted", driver: "macvlan", ipam: subnet, options: { parent: dotted } });
      assert.equal(linkDetails(undefined, dotted)!.linkinfo.info_kind, "veth");
      await fx.c.deleteNetwork("mv-dotted");
      assert.ok(linkDetails(undefined, dotted));
    } finally {
      execFileSync("ip", ["link", "del", dotted]);
    }
  });

  it("ipvlan is refused with the reason, not 'driver not found'", async () => {
    await assert.rejects(
      fx.c.createNetwork({ name: "iv", driver: "ipvlan", ipam: subnet, options: { parent: "eth0" } }),
      (err: Error) => {
        assert.ok(err instanceof InvalidParameterError, `${err.name}: ${err.message}`);
        if (kernelConfigOption("CONFIG_IPVLAN") === "n") {
          assert.match(err.message, /the ipvlan driver is not supported on this host: the kernel has no ipvlan support/);
        } else {
          assert.match(err.message, /the ipvlan driver is not supported/);
        }
        return true;
      },
    );
    assert.equal(fx.c.networks().some((n) => n.name === "iv"), false);
    // Its pool was released.
    await fx.c.createNetwork({ name: "after-iv", driver: "macvlan", ipam: subnet });
    await fx.c.deleteNetwork("after-iv");
  });
});
