import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { GATEWAY_REQUEST } from "../../src/controller/ipam-allocation.js";
import { AddressInUseError, PoolExhaustedError } from "../../src/ipamapi/errors.js";
import { AddressOutOfRangeError, InvalidAddressSpaceError, PoolOverlapError, UnknownPoolError } from "../../src/ipamapi/errors.js";
import { EtcdIpam } from "../../src/store/etcd/ipam.js";
import { etcdFixture } from "./helpers.js";

const fx = etcdFixture();
const GLOBAL = "GlobalDefault";

/** Three hosts sharing one IPAM root of their own. */
async function hosts(): Promise<[EtcdIpam, EtcdIpam, EtcdIpam]> {
  const root = fx.newRoot();
  return [new EtcdIpam(await fx.connect(root)), new EtcdIpam(await fx.connect(root)), new EtcdIpam(await fx.connect(root))];
}

describe("EtcdIpam: pools", () => {
  it("hands out Docker's global predefined pools, one host after the other, never the same twice", async () => {
    const [a, b] = await hosts();
    const p1 = await a.requestPool({ addressSpace: GLOBAL, v6: false });
    assert.deepEqual(p1, { poolId: "GlobalDefault/10.0.0.0/24", pool: "10.0.0.0/24", meta: {} });
    const p2 = await b.requestPool({ addressSpace: GLOBAL, v6: false });
    assert.equal(p2.pool, "10.0.1.0/24");
    const p3 = await b.requestPool({ addressSpace: GLOBAL, v6: false, exclude: ["10.0.2.0/23"] });
    assert.equal(p3.pool, "10.0.4.0/24");
    const p6 = await a.requestPool({ addressSpace: GLOBAL, v6: true });
    assert.equal(p6.pool, "fd00:0:1::/64");
    await a.releasePool(p1.poolId);
    assert.equal((await b.requestPool({ addressSpace: GLOBAL, v6: false })).pool, "10.0.0.0/24");
    await assert.rejects(Promise.resolve().then(() => a.requestPool({ addressSpace: "LocalDefault", v6: false })), InvalidAddressSpaceError);
    await assert.rejects(a.releasePool("GlobalDefault/10.9.9.0/24"), UnknownPoolError);
  });

  it("refuses a pool overlapping one any host holds, also when two hosts race", async () => {
    const [a, b] = await hosts();
    await a.requestPool({ addressSpace: GLOBAL, pool: "10.10.0.0/16", v6: false });
    await assert.rejects(b.requestPool({ addressSpace: GLOBAL, pool: "10.10.5.0/24", v6: false }), PoolOverlapError);
    await assert.rejects(b.requestPool({ addressSpace: GLOBAL, pool: "10.0.0.0/8", v6: false }), PoolOverlapError);
    for (let round = 0; round < 10; round++) {
      const results = await Promise.allSettled([
        a.requestPool({ addressSpace: GLOBAL, pool: `10.${20 + round}.0.0/16`, v6: false }),
        b.requestPool({ addressSpace: GLOBAL, pool: `10.${20 + round}.128.0/17`, v6: false }),
      ]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, `round ${round}: ${JSON.stringify(results)}`);
      const refused = results.find((r) => r.status === "rejected");
      assert.ok(refused?.status === "rejected" && refused.reason instanceof PoolOverlapError);
    }
    // Dynamic pools of both hosts racing are distinct too.
    const dynamic = await Promise.all([a, b, a, b].map((h) => h.requestPool({ addressSpace: GLOBAL, v6: false })));
    assert.equal(new Set(dynamic.map((p) => p.pool)).size, 4);
  });
});

describe("EtcdIpam: addresses", () => {
  it("gives the gateway .1 and then .2, .3 ... like Docker", async () => {
    const [a] = await hosts();
    const { poolId } = await a.requestPool({ addressSpace: GLOBAL, v6: false });
    assert.deepEqual(await a.requestAddress(poolId, undefined, GATEWAY_REQUEST), { address: "10.0.0.1/24", meta: {} });
    assert.equal((await a.requestAddress(poolId)).address, "10.0.0.2/24");
    assert.equal((await a.requestAddress(poolId)).address, "10.0.0.3/24");
    const v6 = await a.requestPool({ addressSpace: GLOBAL, v6: true });
    assert.equal((await a.requestAddress(v6.poolId, undefined, GATEWAY_REQUEST)).address, "fd00:0:1::1/64");
    assert.equal((await a.requestAddress(v6.poolId)).address, "fd00:0:1::2/64");
  });

  it("serves a user subnet with an ip-range and a gateway outside it", async () => {
    const [a, b] = await hosts();
    const pool = await a.requestPool({ addressSpace: GLOBAL, pool: "10.30.0.0/24", subPool: "10.30.0.128/25", v6: false });
    assert.equal(pool.poolId, "GlobalDefault/10.30.0.0/24/10.30.0.128/25");
    assert.equal((await b.requestAddress(pool.poolId, "10.30.0.1", GATEWAY_REQUEST)).address, "10.30.0.1/24");
    assert.equal((await b.requestAddress(pool.poolId)).address, "10.30.0.128/24");
    assert.equal((await a.requestAddress(pool.poolId)).address, "10.30.0.129/24");
    // Without a preferred one, the gateway is the lowest free address of the range.
    assert.equal((await a.requestAddress(pool.poolId, undefined, GATEWAY_REQUEST)).address, "10.30.0.130/24");
  });

  it("gives a preferred address only once, names it when taken, and refuses reserved and foreign ones", async () => {
    const [a, b] = await hosts();
    const { poolId } = await a.requestPool({ addressSpace: GLOBAL, pool: "10.40.0.0/24", v6: false });
    assert.equal((await a.requestAddress(poolId, "10.40.0.7")).address, "10.40.0.7/24");
    await assert.rejects(b.requestAddress(poolId, "10.40.0.7"), (e: unknown) => e instanceof AddressInUseError && /10\.40\.0\.7\/24 .* in use/.test(e.message));
    await assert.rejects(b.requestAddress(poolId, "10.40.0.0"), (e: unknown) => e instanceof AddressInUseError && /reserved/.test(e.message));
    await assert.rejects(b.requestAddress(poolId, "10.40.0.255"), AddressInUseError);
    await assert.rejects(b.requestAddress(poolId, "10.41.0.1"), AddressOutOfRangeError);
    // Two hosts racing for one address: exactly one gets it.
    const race = await Promise.allSettled([a.requestAddress(poolId, "10.40.0.9"), b.requestAddress(poolId, "10.40.0.9")]);
    assert.deepEqual(race.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    await a.releaseAddress(poolId, "10.40.0.7/24");
    assert.equal((await b.requestAddress(poolId, "10.40.0.7")).address, "10.40.0.7/24");
  });

  it("says when a pool is exhausted, and serves again after a release", async () => {
    const [a, b] = await hosts();
    const { poolId } = await a.requestPool({ addressSpace: GLOBAL, pool: "10.50.0.0/29", v6: false });
    const got = await Promise.all([a, b, a, b, a, b].map((h) => h.requestAddress(poolId)));
    assert.deepEqual(got.map((g) => g.address).sort(), [1, 2, 3, 4, 5, 6].map((i) => `10.50.0.${i}/29`));
    await assert.rejects(a.requestAddress(poolId), PoolExhaustedError);
    await assert.rejects(b.requestAddress(poolId, undefined, GATEWAY_REQUEST), PoolExhaustedError);
    await b.releaseAddress(poolId, "10.50.0.4");
    assert.equal((await a.requestAddress(poolId)).address, "10.50.0.4/29");
  });

  it("forgets a released pool's addresses, on every host", async () => {
    const [a, b] = await hosts();
    const { poolId } = await a.requestPool({ addressSpace: GLOBAL, pool: "10.60.0.0/24", v6: false });
    await a.requestAddress(poolId, "10.60.0.10");
    await b.requestAddress(poolId);
    await a.releasePool(poolId);
    // b still has the pool cached: its requests must not land in the released pool.
    await assert.rejects(b.requestAddress(poolId), UnknownPoolError);
    await assert.rejects(b.requestAddress(poolId, "10.60.0.11"), UnknownPoolError);
    await assert.rejects(b.releaseAddress(poolId, "10.60.0.10"), UnknownPoolError);
    const again = await b.requestPool({ addressSpace: GLOBAL, pool: "10.60.0.0/24", v6: false });
    assert.equal(again.poolId, poolId);
    assert.equal((await a.requestAddress(poolId, "10.60.0.10")).address, "10.60.0.10/24");
    assert.equal((await b.requestAddress(poolId)).address, "10.60.0.1/24");
  });

  it("three hosts requesting 100 addresses each, all at once, get 300 distinct ones", async () => {
    const three = await hosts();
    const { poolId } = await three[0].requestPool({ addressSpace: GLOBAL, pool: "10.70.0.0/23", v6: false });
    const started = Date.now();
    const results = await Promise.all(three.flatMap((h) => Array.from({ length: 100 }, () => h.requestAddress(poolId))));
    const took = Date.now() - started;
    const addresses = results.map((r) => r.address);
    assert.equal(new Set(addresses).size, 300, "an address was handed out twice");
    for (const a of addresses) assert.match(a, /^10\.70\.[01]\.\d+\/23$/);
    assert.ok(!addresses.includes("10.70.0.0/23"));
    const txns = three.reduce((n, h) => n + h.stats.addressTxns, 0);
    const lost = three.reduce((n, h) => n + h.stats.lostRaces, 0);
    console.log(`ipam: 300 concurrent requests from 3 hosts in ${took} ms: ${txns} address transactions, ${lost} addresses lost to another host and retried`);
    assert.ok(txns <= 30, `${txns} transactions for 300 addresses`);
  });
});

describe("EtcdIpam: hosts as processes", () => {
  it("three processes requesting 100 addresses each, all at once, get 300 distinct ones", async () => {
    const root = fx.newRoot();
    const ipam = new EtcdIpam(await fx.connect(root));
    const { poolId } = await ipam.requestPool({ addressSpace: GLOBAL, pool: "10.80.0.0/23", v6: false });
    const worker = fileURLToPath(new URL("./ipam-worker.js", import.meta.url));
    const children = [0, 1, 2].map(() => spawn(process.execPath, [worker, fx.etcd.endpoint, root, poolId, "100"], { stdio: ["pipe", "pipe", "inherit"] }));
    try {
      const lines = children.map((child) => createInterface({ input: child.stdout! })[Symbol.asyncIterator]());
      for (const line of lines) assert.equal((await line.next()).value, "ready");
      for (const child of children) child.stdin!.write("go\n");
      const reports = await Promise.all(lines.map(async (line) => JSON.parse((await line.next()).value as string) as { addresses: string[]; stats: { addressTxns: number; lostRaces: number }; tookMs: number }));
      const addresses = reports.flatMap((r) => r.addresses);
      assert.equal(addresses.length, 300);
      assert.equal(new Set(addresses).size, 300, "an address was handed out twice");
      const txns = reports.reduce((n, r) => n + r.stats.addressTxns, 0);
      const lost = reports.reduce((n, r) => n + r.stats.lostRaces, 0);
      console.log(`ipam: 3 processes x 100 concurrent requests in ${Math.max(...reports.map((r) => r.tookMs))} ms: ${txns} address transactions, ${lost} addresses lost to another host and retried`);
      assert.ok(txns <= 30, `${txns} transactions for 300 addresses`);
    } finally {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});
