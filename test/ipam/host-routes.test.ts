/**
 * The `ip -j route` reader against real routes: the host's own, and those of
 * a throw-away network namespace whose routes the test chooses.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DefaultIpam, ipCommandRoutesProvider, readHostRoutes } from "../../src/ipam/index.js";
import { prefixesOverlap } from "../../src/inet/index.js";
import { parseIpamCidr } from "../../src/ipam/cidr.js";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

describe("host routes of this host", () => {
  it("are CIDRs without default routes, and predefined pools avoid them", () => {
    const routes = readHostRoutes();
    for (const r of routes) {
      assert.notEqual(r, "default");
      assert.doesNotThrow(() => parseIpamCidr(r), r);
    }
    const ipam = new DefaultIpam({ hostRoutes: ipCommandRoutesProvider() });
    for (const v6 of [false, true]) {
      const pool = parseIpamCidr(ipam.requestPool({ addressSpace: "LocalDefault", v6 }).pool);
      for (const r of routes) assert.ok(!prefixesOverlap(pool, parseIpamCidr(r)), `${r} overlaps the pool`);
    }
  });
});

describe("host routes of a network namespace", () => {
  const ns = `t${randomBytes(2).toString("hex")}`;

  before(() => {
    ip("netns", "add", ns);
    // A veth pair with both ends inside (this kernel has no dummy module); both up for carrier.
    ip("-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1");
    ip("-n", ns, "link", "set", "d1", "up");
    ip("-n", ns, "link", "set", "d0", "up");
    ip("-n", ns, "addr", "add", "172.17.3.1/24", "dev", "d0");
    ip("-n", ns, "route", "add", "10.0.0.0/23", "dev", "d0");
    ip("-n", ns, "route", "add", "10.0.2.7", "dev", "d0");
    ip("-n", ns, "route", "add", "default", "dev", "d0");
    ip("-n", ns, "-6", "addr", "add", "fd00::1/64", "dev", "d0", "nodad");
  });

  after(() => {
    // Deleting the namespace deletes its links, addresses and routes.
    execFileSync("ip", ["netns", "del", ns], { stdio: "ignore" });
  });

  it("reads the namespace's routes, host routes as /32, without the default route", () => {
    const routes = readHostRoutes({ netns: ns });
    assert.ok(routes.includes("172.17.3.0/24"), routes.join(" "));
    assert.ok(routes.includes("10.0.0.0/23"), routes.join(" "));
    assert.ok(routes.includes("10.0.2.7/32"), routes.join(" "));
    assert.ok(routes.includes("fd00::/64"), routes.join(" "));
    assert.ok(!routes.some((r) => r === "default" || r.endsWith("/0")));
  });

  it("steers predefined pools around them", () => {
    const ipam = new DefaultIpam({ hostRoutes: ipCommandRoutesProvider({ netns: ns }) });
    assert.equal(ipam.requestPool({ addressSpace: "LocalDefault", v6: false }).pool, "172.18.0.0/16");
    assert.equal(ipam.requestPool({ addressSpace: "LocalDefault", v6: true }).pool, "fd00:0:0:1::/64");
    assert.equal(ipam.requestPool({ addressSpace: "GlobalDefault", v6: false }).pool, "10.0.3.0/24");
  });

  it("fails loudly when `ip` cannot read them", () => {
    assert.throws(() => readHostRoutes({ netns: `${ns}-missing` }));
  });
});
