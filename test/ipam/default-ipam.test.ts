import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Capability, Ipam } from "../../src/ipamapi/contract.js";
import { AllocSerialOption, GatewayAddressType, RequestAddressType } from "../../src/ipamapi/labels.js";
import { DefaultIpam, registerDefaultIpam } from "../../src/ipam/index.js";

const LOCAL = "LocalDefault";
const GLOBAL = "GlobalDefault";

function userPool(ipam: DefaultIpam, pool: string, subPool?: string, space = LOCAL): string {
  return ipam.requestPool({ addressSpace: space, pool, v6: pool.includes(":"), ...(subPool ? { subPool } : {}) }).poolId;
}

function take(ipam: DefaultIpam, poolId: string, n: number): string[] {
  return Array.from({ length: n }, () => ipam.requestAddress(poolId).address);
}

describe("DefaultIpam: the contract basics", () => {
  it("names its address spaces and capabilities, and registers as 'default'", () => {
    const seen: Array<[string, Ipam, Capability]> = [];
    const ipam = registerDefaultIpam({ registerIpamDriver: (n, d, c) => seen.push([n, d, c]) });
    assert.deepEqual(ipam.getDefaultAddressSpaces(), { local: LOCAL, global: GLOBAL });
    assert.equal(ipam.isBuiltIn(), true);
    assert.deepEqual(ipam.getCapabilities(), { requiresMACAddress: false, requiresRequestReplay: true });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]![0], "default");
    assert.equal(seen[0]![1], ipam);
    assert.equal(new DefaultIpam({ requiresRequestReplay: false }).getCapabilities().requiresRequestReplay, false);
  });

  it("refuses unknown address spaces and pools", () => {
    const ipam = new DefaultIpam();
    assert.throws(() => ipam.requestPool({ addressSpace: "Elsewhere", v6: false }), { code: "INVALID_ADDRESS_SPACE" });
    assert.throws(() => ipam.requestAddress("LocalDefault/10.0.0.0/8"), { code: "UNKNOWN_POOL", kind: "not-found" });
    const id = userPool(ipam, "10.0.0.0/24");
    ipam.releasePool(id);
    assert.throws(() => ipam.requestAddress(id), { code: "UNKNOWN_POOL" });
    assert.throws(() => ipam.releasePool(id), { code: "UNKNOWN_POOL" });
  });
});

describe("DefaultIpam: predefined pools", () => {
  it("hands out Docker's local defaults in order, then 192.168.0.0/16 in /20s", () => {
    const ipam = new DefaultIpam();
    const got = Array.from({ length: 17 }, () => ipam.requestPool({ addressSpace: LOCAL, v6: false }).pool);
    const expected = [...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`), "192.168.0.0/20", "192.168.16.0/20"];
    assert.deepEqual(got, expected);
  });

  it("hands out the global defaults as /24s of 10.0.0.0/8, and IPv6 /64s of the ULA defaults", () => {
    const ipam = new DefaultIpam();
    assert.equal(ipam.requestPool({ addressSpace: GLOBAL, v6: false }).pool, "10.0.0.0/24");
    assert.equal(ipam.requestPool({ addressSpace: GLOBAL, v6: false }).pool, "10.0.1.0/24");
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: true }).pool, "fd00::/64");
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: true }).pool, "fd00:0:0:1::/64");
    assert.equal(ipam.requestPool({ addressSpace: GLOBAL, v6: true }).pool, "fd00:0:1::/64");
  });

  it("skips predefined pools overlapping the host's routes or the request's exclusions", () => {
    let routes = ["default", "0.0.0.0/0", "not a route", "172.17.3.0/24", "172.19.0.0/16", "fd00::/64", "::/0"];
    const ipam = new DefaultIpam({ hostRoutes: () => routes });
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: false }).pool, "172.18.0.0/16");
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: false, exclude: ["172.20.128.0/17"] }).pool, "172.21.0.0/16");
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: true }).pool, "fd00:0:0:1::/64");
    // The provider is asked again on every request: routes change.
    routes = [];
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: false }).pool, "172.17.0.0/16");
    assert.throws(() => ipam.requestPool({ addressSpace: LOCAL, v6: false, exclude: ["bogus"] }), { code: "INVALID_CIDR" });
  });

  it("skips pools already allocated, reuses released ones, and says when none is left", () => {
    const ipam = new DefaultIpam({ localPools: [{ base: "10.10.0.0/23", size: 24 }] });
    // A user pool takes part of the first candidate.
    userPool(ipam, "10.10.0.128/25");
    const a = ipam.requestPool({ addressSpace: LOCAL, v6: false });
    assert.equal(a.pool, "10.10.1.0/24");
    assert.throws(() => ipam.requestPool({ addressSpace: LOCAL, v6: false }), {
      code: "NO_MORE_POOLS",
      message: /no available non-overlapping IPv4 pool among the predefined pools of address space LocalDefault/,
    });
    assert.throws(() => ipam.requestPool({ addressSpace: LOCAL, v6: true }), { code: "NO_MORE_POOLS" });
    ipam.releasePool(a.poolId);
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: false }).pool, "10.10.1.0/24");
  });
});

describe("DefaultIpam: user pools", () => {
  it("refuses overlapping pools in one address space, naming both", () => {
    const ipam = new DefaultIpam();
    userPool(ipam, "10.1.0.0/16");
    assert.throws(() => userPool(ipam, "10.1.2.0/24"), {
      code: "POOL_OVERLAP",
      kind: "forbidden",
      message: "pool 10.1.2.0/24 overlaps with pool 10.1.0.0/16 already allocated in address space LocalDefault",
    });
    assert.throws(() => userPool(ipam, "10.0.0.0/8"), /pool 10\.0\.0\.0\/8 overlaps with pool 10\.1\.0\.0\/16/);
    assert.throws(() => userPool(ipam, "10.1.0.0/16", "10.1.1.0/24"), { code: "POOL_OVERLAP" });
    // Other address space, other family: no conflict.
    userPool(ipam, "10.1.0.0/16", undefined, GLOBAL);
    userPool(ipam, "fd01::/64");
    assert.throws(() => userPool(ipam, "fd01::/48"), { code: "POOL_OVERLAP" });
    // A dynamic pool avoids user pools too.
    userPool(ipam, "172.17.0.0/16");
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, v6: false }).pool, "172.18.0.0/16");
    assert.throws(() => userPool(ipam, "172.18.5.0/24"), /overlaps with pool 172\.18\.0\.0\/16/);
  });

  it("validates pool, sub-pool and family", () => {
    const ipam = new DefaultIpam();
    assert.throws(() => userPool(ipam, "10.0.0.0/33"), { code: "INVALID_CIDR" });
    assert.throws(() => userPool(ipam, "10.0.0.0/16", "10.1.0.0/24"), { code: "INVALID_REQUEST", message: /sub-pool 10\.1\.0\.0\/24 is not inside pool 10\.0\.0\.0\/16/ });
    assert.throws(() => userPool(ipam, "10.0.0.0/16", "10.0.0.0/8"), { code: "INVALID_REQUEST" });
    assert.throws(() => ipam.requestPool({ addressSpace: LOCAL, subPool: "10.0.0.0/24", v6: false }), { code: "INVALID_REQUEST" });
    assert.throws(() => ipam.requestPool({ addressSpace: LOCAL, pool: "10.0.0.0/24", v6: true }), { code: "INVALID_REQUEST" });
    // Host bits are cleared, as libnetwork does.
    assert.equal(ipam.requestPool({ addressSpace: LOCAL, pool: "10.9.8.7/16", v6: false }).pool, "10.9.0.0/16");
    assert.equal(ipam.listPools().length, 1, "failed requests leave nothing behind");
  });
});

describe("DefaultIpam: addresses", () => {
  it("never hands out IPv4 network and broadcast, except on /31 and /32", () => {
    const ipam = new DefaultIpam();
    const p30 = userPool(ipam, "10.0.0.0/30");
    assert.deepEqual(take(ipam, p30, 2), ["10.0.0.1/30", "10.0.0.2/30"]);
    assert.throws(() => ipam.requestAddress(p30), { code: "POOL_EXHAUSTED", kind: "unavailable", message: "no available addresses in pool 10.0.0.0/30" });
    assert.throws(() => ipam.requestAddress(p30, "10.0.0.0"), { code: "ADDRESS_IN_USE", message: /reserved/ });
    assert.throws(() => ipam.requestAddress(p30, "10.0.0.3"), { code: "ADDRESS_IN_USE", message: /reserved/ });
    const p31 = userPool(ipam, "10.0.1.0/31");
    assert.deepEqual(take(ipam, p31, 2).sort(), ["10.0.1.0/31", "10.0.1.1/31"]);
    const p32 = userPool(ipam, "10.0.2.7/32");
    assert.deepEqual(take(ipam, p32, 1), ["10.0.2.7/32"]);
    assert.throws(() => ipam.requestAddress(p32), { message: "no available addresses in pool 10.0.2.7/32" });
  });

  it("never hands out the IPv6 subnet-router anycast address, except on /127 and /128", () => {
    const ipam = new DefaultIpam();
    const p126 = userPool(ipam, "fd00::/126");
    assert.deepEqual(take(ipam, p126, 3), ["fd00::1/126", "fd00::2/126", "fd00::3/126"]);
    assert.throws(() => ipam.requestAddress(p126), { message: "no available addresses in pool fd00::/126" });
    assert.throws(() => ipam.requestAddress(p126, "fd00::"), { code: "ADDRESS_IN_USE" });
    const p127 = userPool(ipam, "fd00::10/127");
    assert.deepEqual(take(ipam, p127, 2).sort(), ["fd00::10/127", "fd00::11/127"]);
    const p128 = userPool(ipam, "fd00::20/128");
    assert.deepEqual(take(ipam, p128, 1), ["fd00::20/128"]);
  });

  it("gives preferred addresses (gateway, --ip, aux addresses) exactly, anywhere in the pool", () => {
    const ipam = new DefaultIpam();
    const id = userPool(ipam, "172.30.0.0/16", "172.30.5.0/24");
    assert.deepEqual(ipam.requestAddress(id, "172.30.0.1"), { address: "172.30.0.1/16", meta: {} });
    assert.equal(ipam.requestAddress(id, "172.30.9.9").address, "172.30.9.9/16", "aux address outside the range");
    assert.equal(ipam.requestAddress(id, "172.30.5.1").address, "172.30.5.1/16");
    assert.equal(ipam.requestAddress(id, "::ffff:172.30.7.7").address, "172.30.7.7/16", "IPv4-mapped form is unmapped");
    assert.throws(() => ipam.requestAddress(id, "172.30.0.1"), {
      code: "ADDRESS_IN_USE",
      message: "address 172.30.0.1 of pool 172.30.0.0/16 is already in use",
    });
    assert.throws(() => ipam.requestAddress(id, "172.31.0.1"), { code: "ADDRESS_OUT_OF_RANGE", message: /172\.31\.0\.1 is out of range of pool 172\.30\.0\.0\/16/ });
    assert.throws(() => ipam.requestAddress(id, "fd00::1"), { code: "ADDRESS_OUT_OF_RANGE" });
    assert.throws(() => ipam.requestAddress(id, "172.30.0.256"), { code: "INVALID_ADDRESS" });
    // Dynamic addresses stay in the range and skip the taken one.
    assert.deepEqual(take(ipam, id, 2), ["172.30.5.0/16", "172.30.5.2/16"]);
  });

  it("keeps dynamic addresses inside the sub-pool and names pool and range when it runs out", () => {
    const ipam = new DefaultIpam();
    const id = userPool(ipam, "10.20.0.0/16", "10.20.3.4/30");
    ipam.requestAddress(id, "10.20.0.1");
    assert.deepEqual(take(ipam, id, 4), ["10.20.3.4/16", "10.20.3.5/16", "10.20.3.6/16", "10.20.3.7/16"]);
    assert.throws(() => ipam.requestAddress(id), { code: "POOL_EXHAUSTED", message: "no available addresses in pool 10.20.0.0/16 (range 10.20.3.4/30)" });
    assert.deepEqual(ipam.getPoolInfo(id), {
      poolId: "LocalDefault/10.20.0.0/16/10.20.3.4/30",
      addressSpace: LOCAL,
      pool: "10.20.0.0/16",
      subPool: "10.20.3.4/30",
      allocated: 5,
      rangeCapacity: 4,
    });
  });

  it("allocates serially: a released address is not handed out again until the cursor wraps", () => {
    const ipam = new DefaultIpam();
    const id = userPool(ipam, "10.0.0.0/29"); // .1 .. .6 usable
    assert.deepEqual(take(ipam, id, 3), ["10.0.0.1/29", "10.0.0.2/29", "10.0.0.3/29"]);
    ipam.releaseAddress(id, "10.0.0.2");
    assert.deepEqual(take(ipam, id, 3), ["10.0.0.4/29", "10.0.0.5/29", "10.0.0.6/29"]);
    // Wrapped around past the broadcast and network addresses.
    assert.deepEqual(take(ipam, id, 1), ["10.0.0.2/29"]);
    assert.throws(() => ipam.requestAddress(id), { code: "POOL_EXHAUSTED" });
  });

  it("gives the gateway request the lowest free address without moving the cursor; serial=false means lowest free", () => {
    const ipam = new DefaultIpam();
    const id = userPool(ipam, "10.0.0.0/24");
    ipam.requestAddress(id, "10.0.0.1");
    assert.deepEqual(take(ipam, id, 2), ["10.0.0.2/24", "10.0.0.3/24"]);
    ipam.releaseAddress(id, "10.0.0.1");
    ipam.releaseAddress(id, "10.0.0.2/24"); // the CIDR form requestAddress returned is accepted
    assert.equal(ipam.requestAddress(id, undefined, { [RequestAddressType]: GatewayAddressType }).address, "10.0.0.1/24");
    assert.equal(ipam.requestAddress(id).address, "10.0.0.4/24", "cursor untouched by the gateway request");
    assert.equal(ipam.requestAddress(id, undefined, { [AllocSerialOption]: "false" }).address, "10.0.0.2/24");
    assert.equal(ipam.requestAddress(id, undefined, { [AllocSerialOption]: "true" }).address, "10.0.0.5/24");
  });

  it("treats releases of free or reserved addresses as no-ops and refuses foreign ones", () => {
    const ipam = new DefaultIpam();
    const id = userPool(ipam, "10.0.0.0/30");
    ipam.releaseAddress(id, "10.0.0.1");
    ipam.releaseAddress(id, "10.0.0.0");
    ipam.releaseAddress(id, "10.0.0.3");
    assert.deepEqual(take(ipam, id, 2), ["10.0.0.1/30", "10.0.0.2/30"], "reserved addresses stayed reserved");
    assert.throws(() => ipam.releaseAddress(id, "10.0.0.4"), { code: "ADDRESS_OUT_OF_RANGE" });
    assert.throws(() => ipam.releaseAddress(id, "nonsense"), { code: "INVALID_ADDRESS" });
    assert.equal(ipam.isAllocated(id, "10.0.0.1"), true);
    assert.equal(ipam.isAllocated(id, "10.0.0.0"), false);
  });

  it("forgets a pool's addresses with the pool", () => {
    const ipam = new DefaultIpam();
    const id = userPool(ipam, "10.0.0.0/24");
    take(ipam, id, 10);
    ipam.releasePool(id);
    const again = userPool(ipam, "10.0.0.0/24");
    assert.equal(again, id, "pool ids are derived from the pool");
    assert.equal(ipam.requestAddress(again).address, "10.0.0.1/24");
  });
});
