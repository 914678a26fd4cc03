// Neighbour entries and the bridge FDB (on a vxlan and on a bridge port),
// checked against the decoded lists, `ip -j neigh` and `bridge -j fdb`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LinuxError } from "../../src/linux/index.js";
import { Cleanup, bridgeJson, ipJson, uniquePrefix } from "./helpers.js";

interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}
interface BridgeFdb {
  mac: string;
  ifname: string;
  dst?: string;
  master?: string;
  flags: string[];
  state: string;
}

test("neighbours: add, replace, list, delete (IPv4 and IPv6)", () => {
  const cleanup = new Cleanup();
  try {
    const ns = uniquePrefix() + "ns";
    const h = cleanup.handle(cleanup.netns(ns));
    h.linkAdd({ kind: "veth", name: "n0", peerName: "n1", up: true });
    h.addrAdd("n0", "10.1.1.1/24");
    h.neighAdd({ dev: "n0", ip: "10.1.1.5", mac: "02:00:00:00:00:05" });
    h.neighAdd({ dev: "n0", ip: "fd00::5", mac: "02:00:00:00:00:06", state: "reachable" });

    const listed = h.neighList({ link: "n0" });
    const v4 = listed.find((n) => n.ip === "10.1.1.5");
    assert.equal(v4?.mac, "02:00:00:00:00:05");
    assert.deepEqual(v4?.stateNames, ["permanent"]);
    assert.equal(v4?.family, 4);
    assert.equal(h.neighList({ family: 6 }).find((n) => n.ip === "fd00::5")?.mac, "02:00:00:00:00:06");

    const ip = ipJson<IpNeigh[]>("-n", ns, "neigh", "show", "dev", "n0");
    const ip4 = ip.find((n) => n.dst === "10.1.1.5");
    assert.equal(ip4?.lladdr, "02:00:00:00:00:05");
    assert.deepEqual(ip4?.state, ["PERMANENT"]);
    assert.ok(ip.some((n) => n.dst === "fd00::5" && n.lladdr === "02:00:00:00:00:06"));

    assert.throws(
      () => h.neighAdd({ dev: "n0", ip: "10.1.1.5", mac: "02:00:00:00:00:07" }),
      (e: unknown) => e instanceof LinuxError && e.code === "EEXIST",
    );
    h.neighReplace({ dev: "n0", ip: "10.1.1.5", mac: "02:00:00:00:00:07" });
    assert.equal(h.neighList({ link: "n0" }).find((n) => n.ip === "10.1.1.5")?.mac, "02:00:00:00:00:07");

    h.neighDel({ dev: "n0", ip: "10.1.1.5" });
    h.neighDel({ dev: "n0", ip: "fd00::5" });
    assert.equal(h.neighList({ link: "n0" }).some((n) => n.ip === "10.1.1.5" || n.ip === "fd00::5"), false);
    assert.ok(!ipJson<IpNeigh[]>("-n", ns, "neigh", "show", "dev", "n0").some((n) => n.dst === "10.1.1.5"));
    assert.throws(() => h.neighDel({ dev: "n0", ip: "10.1.1.5" }), (e: unknown) => e instanceof LinuxError && e.code === "ENOENT");
  } finally {
    cleanup.run();
  }
});

test("FDB on a vxlan: remote VTEP entries, appended flood entries, delete one remote", () => {
  const cleanup = new Cleanup();
  try {
    const ns = uniquePrefix() + "ns";
    const h = cleanup.handle(cleanup.netns(ns));
    h.linkAdd({ kind: "vxlan", name: "vx0", vni: 256, port: 4789, learning: false, local: "192.0.2.1" });
    h.fdbAdd({ dev: "vx0", mac: "02:42:0a:00:00:05", dst: "192.0.2.5" });
    h.fdbAppend({ dev: "vx0", mac: "00:00:00:00:00:00", dst: "192.0.2.6" });
    h.fdbAppend({ dev: "vx0", mac: "00:00:00:00:00:00", dst: "192.0.2.7" });

    const entries = h.fdbList({ link: "vx0" });
    const unicast = entries.find((e) => e.mac === "02:42:0a:00:00:05");
    assert.equal(unicast?.dst, "192.0.2.5");
    assert.equal(unicast?.self, true);
    assert.deepEqual(unicast?.stateNames, ["permanent"]);
    assert.deepEqual(
      entries.filter((e) => e.mac === "00:00:00:00:00:00").map((e) => e.dst).sort(),
      ["192.0.2.6", "192.0.2.7"],
    );
    const fdb = bridgeJson<BridgeFdb[]>("-n", ns, "fdb", "show", "dev", "vx0");
    assert.ok(fdb.some((e) => e.mac === "02:42:0a:00:00:05" && e.dst === "192.0.2.5" && e.flags.includes("self") && e.state === "permanent"));
    assert.equal(fdb.filter((e) => e.mac === "00:00:00:00:00:00").length, 2);

    assert.throws(
      () => h.fdbAdd({ dev: "vx0", mac: "02:42:0a:00:00:05", dst: "192.0.2.5" }),
      (e: unknown) => e instanceof LinuxError && e.code === "EEXIST" && e.operation === 'fdb add 02:42:0a:00:00:05 dev "vx0" dst 192.0.2.5',
    );
    h.fdbReplace({ dev: "vx0", mac: "02:42:0a:00:00:05", dst: "192.0.2.9" });
    assert.equal(h.fdbList({ link: "vx0" }).find((e) => e.mac === "02:42:0a:00:00:05")?.dst, "192.0.2.9");

    h.fdbDel({ dev: "vx0", mac: "00:00:00:00:00:00", dst: "192.0.2.6" });
    h.fdbDel({ dev: "vx0", mac: "02:42:0a:00:00:05" });
    const after = h.fdbList({ link: "vx0" });
    assert.deepEqual(after.map((e) => [e.mac, e.dst]), [["00:00:00:00:00:00", "192.0.2.7"]]);
  } finally {
    cleanup.run();
  }
});

test("FDB on a bridge: static entries on a port, listed per port and per bridge", () => {
  const cleanup = new Cleanup();
  try {
    const ns = uniquePrefix() + "ns";
    const h = cleanup.handle(cleanup.netns(ns));
    h.linkAdd({ kind: "bridge", name: "br0", up: true, vlanFiltering: false });
    h.linkAdd({ kind: "veth", name: "p0", peerName: "p1", master: "br0", up: true });
    const br = h.linkIndex("br0");
    h.fdbAdd({ dev: "p0", mac: "02:42:ac:11:00:09", master: true });

    const entry = h.fdbList({ link: "p0" }).find((e) => e.mac === "02:42:ac:11:00:09");
    assert.equal(entry?.masterIndex, br);
    assert.equal(entry?.master, true);
    assert.deepEqual(entry?.stateNames, ["noarp"], "static, not permanent (which would mean local)");
    assert.ok(h.fdbList({ bridge: "br0" }).some((e) => e.mac === "02:42:ac:11:00:09"));

    const fdb = bridgeJson<BridgeFdb[]>("-n", ns, "fdb", "show", "dev", "p0");
    const seen = fdb.find((e) => e.mac === "02:42:ac:11:00:09");
    assert.equal(seen?.master, "br0");
    assert.equal(seen?.state, "static");

    h.fdbDel({ dev: "p0", mac: "02:42:ac:11:00:09", master: true });
    assert.equal(h.fdbList({ link: "p0" }).some((e) => e.mac === "02:42:ac:11:00:09"), false);
  } finally {
    cleanup.run();
  }
});
