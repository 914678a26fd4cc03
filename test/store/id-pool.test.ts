import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConflictError, ExhaustedError, InvalidParameterError } from "../../src/errors.js";
import { EtcdIdPool, VXLAN_ID_RANGE } from "../../src/store/etcd/id-pool.js";
import { etcdFixture } from "./helpers.js";

const fx = etcdFixture();

describe("EtcdIdPool", () => {
  it("hands out the lowest free VXLAN ids, the same ones again to their owner, and takes them back", async () => {
    const pool = new EtcdIdPool(await fx.connect(), "vxlan");
    assert.deepEqual(await pool.reserve("net-a", {}), [VXLAN_ID_RANGE.first]);
    assert.deepEqual(await pool.reserve("net-b", { count: 2 }), [4097, 4098]);
    // A retried allocation gets the same ids, not a second set.
    assert.deepEqual(await pool.reserve("net-a", {}), [4096]);
    assert.deepEqual(await pool.reserve("net-b", { wanted: [4098, 4097] }), [4097, 4098]);
    await assert.rejects(pool.reserve("net-b", { wanted: [5000] }), ConflictError);
    await pool.release("net-a");
    await pool.release("net-a"); // holding none: fine
    assert.deepEqual(await pool.reserve("net-c", {}), [4096]);
  });

  it("reserves wanted ids exactly, refusing ones another owner holds or outside the range", async () => {
    const root = fx.newRoot();
    const [h1, h2] = [new EtcdIdPool(await fx.connect(root), "vxlan"), new EtcdIdPool(await fx.connect(root), "vxlan")];
    assert.deepEqual(await h1.reserve("net-a", { wanted: [10_000, 10_001] }), [10_000, 10_001]);
    await assert.rejects(h2.reserve("net-b", { wanted: [9_999, 10_001] }), (e: unknown) => e instanceof ConflictError && /10001 .* held by net-a/.test(e.message));
    // The refused reservation took nothing.
    assert.deepEqual(await h2.reserve("net-b", { wanted: [9_999] }), [9_999]);
    await assert.rejects(h2.reserve("net-c", { wanted: [4095] }), InvalidParameterError);
    await assert.rejects(h2.reserve("net-c", { wanted: [1 << 24] }), InvalidParameterError);
    await assert.rejects(h2.reserve("net-c", { count: 0 }), InvalidParameterError);
    await h1.release("net-a");
    assert.deepEqual(await h2.reserve("net-c", { wanted: [10_001] }), [10_001]);
  });

  it("says when the pool is exhausted", async () => {
    const pool = new EtcdIdPool(await fx.connect(), "tiny", { first: 1, last: 3 });
    assert.deepEqual(await pool.reserve("a", { count: 3 }), [1, 2, 3]);
    await assert.rejects(pool.reserve("b", {}), ExhaustedError);
    await pool.release("a");
    assert.deepEqual(await pool.reserve("b", {}), [1]);
  });

  it("three hosts reserving concurrently never share an id", async () => {
    const root = fx.newRoot();
    const hosts = await Promise.all([0, 1, 2].map(async () => new EtcdIdPool(await fx.connect(root), "vxlan")));
    const perHost = 40;
    const results = await Promise.all(
      hosts.flatMap((pool, h) => Array.from({ length: perHost }, (_, i) => pool.reserve(`net-${h}-${i}`, { count: 1 + (i % 2) }))),
    );
    const ids = results.flat();
    assert.equal(new Set(ids).size, ids.length, "an id was handed out twice");
    assert.equal(ids.length, 3 * (perHost / 2) * 3);
    // Lowest first: together they fill the bottom of the range without gaps.
    assert.deepEqual([...ids].sort((x, y) => x - y), Array.from({ length: ids.length }, (_, i) => 4096 + i));
    const txns = hosts.reduce((n, p) => n + p.stats.reserved + p.stats.retries, 0);
    const retries = hosts.reduce((n, p) => n + p.stats.retries, 0);
    console.log(`id pool: ${results.length} reservations from 3 hosts, ${txns} transactions, ${retries} lost races retried`);
  });
});
