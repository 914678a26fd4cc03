import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DefaultIpam, type IpamState } from "../../src/ipam/index.js";
import { decodeRuns, encodeRuns, subtractPoints } from "../../src/ipam/state.js";

describe("IPAM state", () => {
  it("has the documented compact form", () => {
    const ipam = new DefaultIpam();
    const a = ipam.requestPool({ addressSpace: "LocalDefault", v6: false });
    for (let i = 0; i < 6; i++) ipam.requestAddress(a.poolId);
    const b = ipam.requestPool({ addressSpace: "LocalDefault", pool: "10.1.0.0/16", subPool: "10.1.4.0/24", v6: false });
    ipam.requestAddress(b.poolId, "10.1.0.1");
    for (let i = 0; i < 3; i++) ipam.requestAddress(b.poolId);
    assert.deepEqual(ipam.toJSON(), {
      version: 1,
      pools: [
        { addressSpace: "LocalDefault", pool: "172.17.0.0/16", cursor: 7, runs: [1, 6] },
        { addressSpace: "LocalDefault", pool: "10.1.0.0/16", subPool: "10.1.4.0/24", cursor: 1027, runs: [1, 1, 1022, 3] },
      ],
    });
  });

  it("stays small for a million addresses", () => {
    const ipam = new DefaultIpam();
    const { poolId } = ipam.requestPool({ addressSpace: "GlobalDefault", pool: "10.0.0.0/8", v6: false });
    for (let i = 0; i < 1_000_000; i++) ipam.requestAddress(poolId);
    ipam.releaseAddress(poolId, "10.0.3.4");
    const text = JSON.stringify(ipam);
    assert.ok(text.length < 200, text);
    const restored = DefaultIpam.fromJSON(JSON.parse(text));
    assert.equal(restored.getPoolInfo(poolId).allocated, 999_999);
    assert.equal(restored.isAllocated(poolId, "10.0.3.4"), false);
    assert.equal(restored.requestAddress(poolId).address, "10.15.66.65/8", "the cursor survived");
  });

  it("refuses state that cannot be right", () => {
    const good: IpamState = { version: 1, pools: [{ addressSpace: "LocalDefault", pool: "10.0.0.0/24", cursor: 3, runs: [1, 2] }] };
    assert.equal(DefaultIpam.fromJSON(good).getPoolInfo("LocalDefault/10.0.0.0/24").allocated, 2);
    const bad = (pools: unknown, version: unknown = 1) => () => DefaultIpam.fromJSON({ version, pools } as IpamState);
    assert.throws(bad(good.pools, 2), /state/);
    assert.throws(bad(undefined), /state/);
    assert.throws(bad([{ ...good.pools[0], runs: [0, 2] }]), /reserved/, "the network address is never allocated");
    assert.throws(bad([{ ...good.pools[0], runs: [1, 300] }]), /past the end|reserved/);
    assert.throws(bad([{ ...good.pools[0], runs: [1] }]), /pairs/);
    assert.throws(bad([{ ...good.pools[0], runs: [1, 0] }]), /bad run/);
    assert.throws(bad([{ ...good.pools[0], cursor: 256 }]), /cursor/);
    assert.throws(bad([{ ...good.pools[0], addressSpace: "Nowhere" }]), { code: "INVALID_ADDRESS_SPACE" });
    assert.throws(bad([good.pools[0], { ...good.pools[0], pool: "10.0.0.0/16" }]), { code: "POOL_OVERLAP" });
  });

  it("run-length helpers invert each other and drop single points", () => {
    const ranges = [1, 5, 9, 10, 100, 200];
    assert.deepEqual(encodeRuns(ranges), [1, 4, 4, 1, 90, 100]);
    assert.deepEqual(decodeRuns(encodeRuns(ranges)), ranges);
    assert.deepEqual(subtractPoints([0, 10], [0, 5, 9]), [1, 5, 6, 9]);
    assert.deepEqual(subtractPoints([3, 4], [3]), []);
  });
});
