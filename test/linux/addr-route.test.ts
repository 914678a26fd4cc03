// Addresses and routes, IPv4 and IPv6, inside a namespace, checked against
// the decoded lists and `ip -j`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LinuxError, type NetlinkHandle } from "../../src/linux/index.js";
import { IFA_F_NODAD, IFA_F_TENTATIVE, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE } from "../../src/linux/netlink/constants.js";
import { Cleanup, ipJson, uniquePrefix } from "./helpers.js";

interface IpAddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  nodad?: boolean;
  tentative?: boolean;
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  scope?: string;
  metric?: number;
  table?: string;
  metrics?: { mtu?: number }[];
}

/** A namespace holding a veth pair a0 <-> a1, both up. */
function setup(cleanup: Cleanup): { ns: string; h: NetlinkHandle } {
  const ns = uniquePrefix() + "ns";
  const path = cleanup.netns(ns);
  const h = cleanup.handle(path);
  h.linkAdd({ kind: "veth", name: "a0", peerName: "a1", up: true });
  h.linkSetUp("a1");
  h.linkSetUp("lo");
  return { ns, h };
}

test("addresses: IPv4 with broadcast, IPv6 without DAD, list, replace, delete", () => {
  const cleanup = new Cleanup();
  try {
    const { ns, h } = setup(cleanup);
    h.addrAdd("a0", "172.18.0.2/16");
    h.addrAdd("a0", "10.10.0.1/31");
    h.addrAdd("a0", "fd00:18::2/64", { noDad: true });
    h.addrAdd("a0", "fd00:19::2/64");

    const mine = h.addrList({ link: "a0" }).filter((a) => a.scope === RT_SCOPE_UNIVERSE);
    const byCidr = new Map(mine.map((a) => [a.cidr, a]));
    assert.deepEqual([...byCidr.keys()].sort(), ["10.10.0.1/31", "172.18.0.2/16", "fd00:18::2/64", "fd00:19::2/64"]);
    assert.equal(byCidr.get("172.18.0.2/16")?.broadcast, "172.18.255.255");
    assert.equal(byCidr.get("10.10.0.1/31")?.broadcast, undefined, "no broadcast on /31");
    assert.equal(byCidr.get("172.18.0.2/16")?.label, "a0");
    const v6 = byCidr.get("fd00:18::2/64")!;
    assert.ok((v6.flags & IFA_F_NODAD) !== 0);
    assert.equal(v6.flags & IFA_F_TENTATIVE, 0, "usable at once");
    assert.deepEqual(h.addrList({ link: "a0", family: 4 }).map((a) => a.family), [4, 4]);
    assert.ok(h.addrList({ link: "a1" }).every((a) => a.address.startsWith("fe80:")));

    const [ipA0] = ipJson<{ addr_info: IpAddrInfo[] }[]>("-n", ns, "addr", "show", "dev", "a0");
    const ipByLocal = new Map(ipA0!.addr_info.map((a) => [`${a.local}/${a.prefixlen}`, a]));
    for (const cidr of byCidr.keys()) assert.ok(ipByLocal.has(cidr), `ip sees ${cidr}`);
    assert.equal(ipByLocal.get("172.18.0.2/16")?.broadcast, "172.18.255.255");
    assert.equal(ipByLocal.get("fd00:18::2/64")?.nodad, true);

    assert.throws(() => h.addrAdd("a0", "172.18.0.2/16"), (e: unknown) => e instanceof LinuxError && e.code === "EEXIST");
    // Replace neither fails on an existing address nor duplicates it, and creates a missing one.
    h.addrReplace("a0", "172.18.0.2/16");
    h.addrReplace("a0", "172.18.0.3/16");
    assert.deepEqual(
      h.addrList({ link: "a0", family: 4 }).map((a) => a.cidr).filter((c) => c.startsWith("172.")),
      ["172.18.0.2/16", "172.18.0.3/16"],
    );
    h.addrDel("a0", "172.18.0.3/16");

    h.addrDel("a0", "172.18.0.2/16");
    h.addrDel("a0", "fd00:18::2/64");
    assert.deepEqual(
      h.addrList({ link: "a0" }).filter((a) => a.scope === RT_SCOPE_UNIVERSE).map((a) => a.cidr).sort(),
      ["10.10.0.1/31", "fd00:19::2/64"],
    );
    assert.throws(
      () => h.addrDel("a0", "172.18.0.2/16"),
      (e: unknown) => e instanceof LinuxError && e.code === "EADDRNOTAVAIL" && e.message.startsWith('addr del 172.18.0.2/16 dev "a0"'),
    );
  } finally {
    cleanup.run();
  }
});

test("routes: default via gateway, prefix via gateway, scope link, table and metric, v4 and v6", () => {
  const cleanup = new Cleanup();
  try {
    const { ns, h } = setup(cleanup);
    const a0 = h.linkIndex("a0");
    h.addrAdd("a0", "172.18.0.2/24");
    h.addrAdd("a0", "fd00:18::2/64", { noDad: true });

    h.routeAdd({ gateway: "172.18.0.1" });
    h.routeAdd({ dst: "10.20.0.0/16", gateway: "172.18.0.254", metric: 50 });
    h.routeAdd({ dst: "192.168.77.0/24", dev: "a0" });
    h.routeAdd({ dst: "default", gateway: "fd00:18::1", dev: "a0" });
    h.routeAdd({ dst: "10.30.0.0/16", dev: a0, table: 100, metric: 7, mtu: 1300 });

    const main4 = h.routeList({ family: 4 });
    const byDst = new Map(main4.map((r) => [r.dst, r]));
    assert.equal(byDst.get("default")?.gateway, "172.18.0.1");
    assert.equal(byDst.get("default")?.oif, a0);
    assert.equal(byDst.get("10.20.0.0/16")?.metric, 50);
    assert.equal(byDst.get("192.168.77.0/24")?.scope, RT_SCOPE_LINK);
    assert.equal(byDst.get("192.168.77.0/24")?.gateway, undefined);
    assert.equal(byDst.get("172.18.0.0/24")?.src, "172.18.0.2", "the kernel's prefix route is listed too");
    assert.equal(byDst.has("10.30.0.0/16"), false, "other tables are not listed by default");
    const v6default = h.routeList({ family: 6 }).find((r) => r.dst === "default");
    assert.equal(v6default?.gateway, "fd00:18::1");
    const t100 = h.routeList({ table: 100 });
    assert.deepEqual(
      t100.map((r) => [r.dst, r.metric, r.mtu, r.table]),
      [["10.30.0.0/16", 7, 1300, 100]],
    );
    assert.ok(h.routeList({ table: "all" }).some((r) => r.type === "local"));
    assert.ok(h.routeList({ link: "a0" }).every((r) => r.oif === a0));

    const ip4 = ipJson<IpRoute[]>("-n", ns, "-4", "route");
    const ipByDst = new Map(ip4.map((r) => [r.dst, r]));
    assert.equal(ipByDst.get("default")?.gateway, "172.18.0.1");
    assert.equal(ipByDst.get("10.20.0.0/16")?.metric, 50);
    assert.equal(ipByDst.get("192.168.77.0/24")?.scope, "link");
    assert.equal(ipJson<IpRoute[]>("-n", ns, "-6", "route", "show", "default")[0]?.gateway, "fd00:18::1");
    const ip100 = ipJson<IpRoute[]>("-n", ns, "route", "show", "table", "100");
    assert.deepEqual(ip100.map((r) => [r.dst, r.metric, r.metrics?.[0]?.mtu]), [["10.30.0.0/16", 7, 1300]]);

    assert.throws(() => h.routeAdd({ gateway: "172.18.0.1" }), (e: unknown) => e instanceof LinuxError && e.code === "EEXIST");
    h.routeReplace({ gateway: "172.18.0.3" });
    assert.equal(h.routeList({ family: 4 }).find((r) => r.dst === "default")?.gateway, "172.18.0.3");

    h.routeDel({ dst: "default" });
    h.routeDel({ dst: "10.20.0.0/16", gateway: "172.18.0.254", metric: 50 });
    h.routeDel({ dst: "10.30.0.0/16", table: 100 });
    h.routeDel({ dst: "default", family: 6 });
    assert.deepEqual(
      h.routeList({ family: 4 }).map((r) => r.dst).sort(),
      ["172.18.0.0/24", "192.168.77.0/24"],
    );
    assert.equal(h.routeList({ table: 100 }).length, 0);
    assert.throws(
      () => h.routeDel({ dst: "10.99.0.0/16" }),
      (e: unknown) => e instanceof LinuxError && e.code === "ESRCH" && e.operation === "route del 10.99.0.0/16",
    );
  } finally {
    cleanup.run();
  }
});
