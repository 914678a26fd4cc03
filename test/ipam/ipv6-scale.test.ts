/**
 * Huge IPv6 pools are never materialised: 100k addresses of a /64 or a /48
 * cost a few bitmap blocks. Memory is measured after a forced GC, with a
 * generous bound, as the brief asks (no timing assertions).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DefaultIpam } from "../../src/ipam/index.js";

/** global.gc, enabling it at run time when node was started without --expose-gc. */
function getGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function usedBytes(gc: () => void): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const MiB = 1024 * 1024;
const COUNT = 100_000;

for (const pool of ["fd00:1::/64", "fd00:2::/48", "2001:db8::/8"]) {
  describe(`IPv6 pool ${pool}`, () => {
    it(`allocates ${COUNT} distinct addresses with bounded memory, and releases them`, () => {
      const gc = getGc();
      const ipam = new DefaultIpam();
      const before = usedBytes(gc);
      const granted = ipam.requestPool({ addressSpace: "LocalDefault", pool, v6: true });
      const poolId = granted.poolId;
      // Keep only a sample of the addresses: the strings are not the allocator's memory.
      const sample: string[] = [];
      let last = "";
      for (let i = 0; i < COUNT; i++) {
        last = ipam.requestAddress(poolId).address;
        if (i % 1000 === 0) sample.push(last);
      }
      const growth = (usedBytes(gc) - before) / MiB;
      assert.ok(growth < 64, `memory grew by ${growth.toFixed(1)} MiB`);
      assert.equal(ipam.getPoolInfo(poolId).allocated, COUNT);
      assert.ok(last.endsWith(`/${pool.split("/")[1]}`));
      // Serial from the start of the pool, the subnet-router anycast address skipped: the i-th is base + i + 1.
      assert.equal(sample[0], granted.pool.replace("::/", "::1/"));
      assert.equal(sample[1], granted.pool.replace("::/", "::3e9/"));
      assert.deepEqual(ipam.toJSON().pools[0]!.runs, [1, COUNT], "compact state: one run");
      for (const a of sample) assert.ok(ipam.isAllocated(poolId, a), a);
      for (const a of sample) ipam.releaseAddress(poolId, a);
      assert.equal(ipam.getPoolInfo(poolId).allocated, COUNT - sample.length);
    });
  });
}

describe("IPv6 pool larger than 2^53 addresses", () => {
  it("takes preferred addresses anywhere, also outside the allocation window, and persists them", () => {
    const ipam = new DefaultIpam();
    const { poolId } = ipam.requestPool({ addressSpace: "LocalDefault", pool: "fd00:abcd::/32", subPool: "fd00:abcd:1:2::/64", v6: true });
    assert.equal(ipam.requestAddress(poolId).address, "fd00:abcd:1:2::/32", "range start is not the pool's anycast address");
    const far = ["fd00:abcd:ffff:ffff:ffff:ffff:ffff:ffff", "fd00:abcd::1", "fd00:abcd:9::9"];
    for (const a of far) assert.equal(ipam.requestAddress(poolId, a).address, `${a}/32`);
    assert.throws(() => ipam.requestAddress(poolId, far[0]), { code: "ADDRESS_IN_USE" });
    assert.throws(() => ipam.requestAddress(poolId, "fd00:abcd::"), { code: "ADDRESS_IN_USE", message: /reserved/ });
    assert.throws(() => ipam.requestAddress(poolId, "fd00:abce::1"), { code: "ADDRESS_OUT_OF_RANGE" });
    const state = ipam.toJSON();
    assert.deepEqual(state.pools[0]!.outliers, ["fd00:abcd::1", "fd00:abcd:9::9", "fd00:abcd:ffff:ffff:ffff:ffff:ffff:ffff"]);
    const restored = DefaultIpam.fromJSON(JSON.parse(JSON.stringify(state)));
    for (const a of far) assert.ok(restored.isAllocated(poolId, a));
    restored.releaseAddress(poolId, far[1]!);
    assert.equal(restored.isAllocated(poolId, far[1]!), false);
    assert.equal(restored.getPoolInfo(poolId).allocated, 3);
  });
});

describe("scattered IPv6 addresses", () => {
  it("cost a list entry each, not a bitmap block each", () => {
    const gc = getGc();
    const ipam = new DefaultIpam();
    const before = usedBytes(gc);
    const { poolId } = ipam.requestPool({ addressSpace: "LocalDefault", pool: "fd00:5::/64", v6: true });
    // 20k addresses 2^32 apart: each in its own 64Ki block (20k bitmaps would be ~170 MiB).
    const n = 20_000;
    for (let i = 1; i <= n; i++) ipam.requestAddress(poolId, `fd00:5::${i.toString(16)}:0:0`);
    const growth = (usedBytes(gc) - before) / MiB;
    assert.ok(growth < 16, `memory grew by ${growth.toFixed(1)} MiB`);
    assert.equal(ipam.getPoolInfo(poolId).allocated, n);
    assert.equal(ipam.requestAddress(poolId).address, "fd00:5::1/64", "dynamic allocation still starts at the bottom");
  });
});
