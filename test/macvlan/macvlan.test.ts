import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { dummyParentName, ownerAlias } from "../../src/drivers/macvlan/index.js";
import { ConflictError } from "../../src/index.js";
import { canPing, controllerFixture, inSandbox, plain } from "../integration/helpers.js";
import { linkDetails, makeSegment, type Segment } from "./segment.js";

const nsName = (key: string): string => key.slice(key.lastIndexOf("/") + 1);

describe("macvlan networks on a real segment", () => {
  const fx = controllerFixture();
  const segments: Segment[] = [];
  const segment = (tag: string, addresses: string[]): Segment => {
    const s = makeSegment(fx.prefix, tag, addresses);
    segments.push(s);
    return s;
  };
  after(() => {
    for (const s of segments) s.remove();
  });

  it("bridge mode (the default): sandboxes reach each other and the segment host, v4 and v6, and the host reaches them", async () => {
    const seg = segment("pa", ["198.51.100.254/24", "2001:db8:51::fe/64"]);
    const net = await fx.c.createNetwork({
      name: "mv-bridge",
      driver: "macvlan",
      enableIPv6: true,
      ipam: { config: [{ subnet: "198.51.100.0/24" }, { subnet: "2001:db8:51::/64" }] },
      options: { parent: seg.parent },
    });
    assert.equal(net.scope, "local");
    const a = await fx.c.createSandbox({ name: "a" });
    const b = await fx.c.createSandbox({ name: "b" });
    const ea = (await fx.c.connect("mv-bridge", "a")).endpoint;
    const eb = (await fx.c.connect("mv-bridge", "b")).endpoint;
    // Docker's MAC for a macvlan endpoint: 02:42 and its IPv4 address.
    assert.equal(ea.mac, "02:42:c6:33:64:02");
    const eth0 = linkDetails(nsName(a.sandbox.key), "eth0")!;
    assert.equal(eth0.linkinfo.info_kind, "macvlan");
    assert.equal(eth0.linkinfo.info_data.mode, "bridge");
    assert.equal(eth0.address, ea.mac);
    assert.ok(await canPing(a.sandbox.key, plain(eb.address)));
    assert.ok(await canPing(b.sandbox.key, plain(ea.address)));
    assert.ok(await canPing(a.sandbox.key, "198.51.100.254"));
    assert.ok(seg.ping(plain(ea.address)));
    assert.ok(seg.ping(plain(eb.address)));
    assert.equal((await inSandbox(a.sandbox.key, ["ping", "-6", "-c", "1", "-W", "1", plain(eb.addressIPv6)])).code, 0);
    assert.equal((await inSandbox(b.sandbox.key, ["ping", "-6", "-c", "1", "-W", "1", "2001:db8:51::fe"])).code, 0);
    // The gateway is IPAM's, on the segment (a router there, not the host).
    const routes = execFileSync("ip", ["-n", nsName(a.sandbox.key), "route", "show", "default"], { encoding: "utf8" });
    assert.match(routes, /default via 198\.51\.100\.1 dev eth0/);
    await fx.c.disconnect("mv-bridge", "a");
    await fx.c.disconnect("mv-bridge", "b");
    await fx.c.deleteNetwork("mv-bridge");
    // The user's parent stays.
    assert.ok(linkDetails(undefined, seg.parent));
  });

  it("private mode: sandboxes cannot reach each other but reach the segment host", async () => {
    const seg = segment("pb", ["198.51.100.254/24"]);
    await fx.c.createNetwork({
      name: "mv-private",
      driver: "macvlan",
      ipam: { config: [{ subnet: "198.51.100.0/24" }] },
      options: { parent: seg.parent, macvlan_mode: "private" },
    });
    const a = await fx.c.createSandbox({ name: "pa" });
    const b = await fx.c.createSandbox({ name: "pb" });
    const ea = (await fx.c.connect("mv-private", "pa")).endpoint;
    const eb = (await fx.c.connect("mv-private", "pb")).endpoint;
    assert.equal(linkDetails(nsName(a.sandbox.key), "eth0")!.linkinfo.info_data.mode, "private");
    assert.equal(await canPing(a.sandbox.key, plain(eb.address)), false);
    assert.ok(await canPing(a.sandbox.key, "198.51.100.254"));
    assert.ok(await canPing(b.sandbox.key, "198.51.100.254"));
    assert.ok(seg.ping(plain(ea.address)));
    await fx.c.deleteSandbox("pa");
    await fx.c.deleteSandbox("pb");
    await fx.c.deleteNetwork("mv-private");
  });

  it("passthru: one endpoint, the parent's MAC, the parent to itself; vepa is accepted", async () => {
    const seg = segment("pc", ["198.51.100.254/24"]);
    const parentMac = linkDetails(undefined, seg.parent)!.address as string;
    await fx.c.createNetwork({
      name: "mv-pass",
      driver: "macvlan",
      ipam: { config: [{ subnet: "198.51.100.0/24" }] },
      options: { parent: seg.parent, macvlan_mode: "passthru" },
    });
    const a = await fx.c.createSandbox({ name: "ta" });
    await fx.c.createSandbox({ name: "tb" });
    const ea = (await fx.c.connect("mv-pass", "ta")).endpoint;
    assert.equal(ea.mac, parentMac);
    assert.equal(linkDetails(nsName(a.sandbox.key), "eth0")!.linkinfo.info_data.mode, "passthru");
    assert.ok(await canPing(a.sandbox.key, "198.51.100.254"));
    await assert.rejects(fx.c.connect("mv-pass", "tb"), (err) => err instanceof ConflictError && /passthru/.test(err.message));
    assert.deepEqual(fx.c.networkEndpoints("mv-pass").map((e) => e.endpoint.name), ["ta"]);
    // No other network on a passthru parent, and no passthru network on a parent in use.
    await assert.rejects(
      fx.c.createNetwork({ name: "mv-pass2", driver: "macvlan", ipam: { config: [{ subnet: "198.51.101.0/24" }] }, options: { parent: seg.parent } }),
      (err) => err instanceof ConflictError && /in mode passthru/.test(err.message),
    );
    assert.equal(linkDetails(undefined, seg.parent)!.address, parentMac);
    await fx.c.deleteSandbox("ta");
    await fx.c.deleteSandbox("tb");
    await fx.c.deleteNetwork("mv-pass");

    await fx.c.createNetwork({
      name: "mv-vepa",
      driver: "macvlan",
      ipam: { config: [{ subnet: "198.51.100.0/24" }] },
      options: { parent: seg.parent, macvlan_mode: "vepa" },
    });
    const v = await fx.c.createSandbox({ name: "va" });
    const ev = (await fx.c.connect("mv-vepa", "va")).endpoint;
    assert.equal(linkDetails(nsName(v.sandbox.key), "eth0")!.linkinfo.info_data.mode, "vepa");
    assert.ok(await canPing(v.sandbox.key, "198.51.100.254"));
    assert.ok(seg.ping(plain(ev.address)));
    await assert.rejects(
      fx.c.createNetwork({ name: "mv-pass3", driver: "macvlan", ipam: { config: [{ subnet: "198.51.102.0/24" }] }, options: { parent: seg.parent, macvlan_mode: "passthru" } }),
      (err) => err instanceof ConflictError && /cannot use mode passthru/.test(err.message),
    );
    await fx.c.deleteSandbox("va");
    await fx.c.deleteNetwork("mv-vepa");
  });

  it("without a parent: a dummy parent made and removed with the network, which is internal", async () => {
    const net = await fx.c.createNetwork({ name: "mv-dummy", driver: "macvlan", ipam: { config: [{ subnet: "10.231.0.0/24" }] } });
    const parent = dummyParentName(fx.prefix, net.id);
    assert.ok(parent.startsWith(fx.prefix) && parent.length <= 15);
    const link = linkDetails(undefined, parent)!;
    assert.ok(link, "the dummy parent exists");
    // A dummy, or on a kernel without dummy links a bridge without ports.
    assert.ok(["dummy", "bridge"].includes(link.linkinfo.info_kind), link.linkinfo.info_kind);
    assert.equal(link.ifalias, ownerAlias(fx.prefix, net.id));
    assert.deepEqual(link.addr_info ?? [], []);
    const a = await fx.c.createSandbox({ name: "da" });
    const b = await fx.c.createSandbox({ name: "db" });
    await fx.c.connect("mv-dummy", "da");
    const eb = (await fx.c.connect("mv-dummy", "db")).endpoint;
    assert.ok(await canPing(a.sandbox.key, plain(eb.address)));
    const routes = execFileSync("ip", ["-n", nsName(a.sandbox.key), "route", "show", "default"], { encoding: "utf8" });
    assert.equal(routes.trim(), "", "an internal network gives no default route");
    await fx.c.deleteSandbox("da");
    await fx.c.deleteSandbox("db");
    await fx.c.deleteNetwork("mv-dummy");
    assert.equal(linkDetails(undefined, parent), undefined);
  });

  it("two networks on one parent with distinct subnets; overlapping subnets are refused", async () => {
    const seg = segment("pd", ["198.51.100.254/24", "192.168.77.254/24"]);
    await fx.c.createNetwork({ name: "mv-s1", driver: "macvlan", ipam: { config: [{ subnet: "198.51.100.0/24" }] }, options: { parent: seg.parent } });
    await fx.c.createNetwork({ name: "mv-s2", driver: "macvlan", ipam: { config: [{ subnet: "192.168.77.0/24" }] }, options: { parent: seg.parent } });
    const err = await fx.c
      .createNetwork({ name: "mv-s3", driver: "macvlan", ipam: { config: [{ subnet: "198.51.100.128/25" }] }, options: { parent: seg.parent } })
      .then(() => undefined, (e: unknown) => e as Error & { status?: number });
    assert.ok(err, "an overlapping subnet on the same parent is refused");
    assert.ok(err.status !== undefined && err.status >= 400 && err.status < 500, `${err.status} ${err.message}`);
    assert.match(err.message, /overlap/i);
    assert.equal(fx.c.networks().some((n) => n.name === "mv-s3"), false);
    const s = await fx.c.createSandbox({ name: "sa" });
    await fx.c.connect("mv-s2", "sa");
    assert.ok(await canPing(s.sandbox.key, "192.168.77.254"));
    await fx.c.deleteSandbox("sa");
    await fx.c.deleteNetwork("mv-s1");
    await fx.c.deleteNetwork("mv-s2");
  });
});
