import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DefaultIpam } from "../../src/ipam/default-ipam.js";
import { ByScopeIpam } from "../../src/ipam/by-scope-ipam.js";
import { EtcdIpam } from "../../src/store/etcd/ipam.js";
import { etcdFixture } from "./helpers.js";

const fx = etcdFixture();

describe("ByScopeIpam", () => {
  it("sends LocalDefault to the host's IPAM and GlobalDefault to the cluster's", async () => {
    const root = fx.newRoot();
    const localA = new DefaultIpam();
    const hostA = new ByScopeIpam(localA, new EtcdIpam(await fx.connect(root)));
    const hostB = new ByScopeIpam(new DefaultIpam(), new EtcdIpam(await fx.connect(root)));
    assert.deepEqual(hostA.getDefaultAddressSpaces(), { local: "LocalDefault", global: "GlobalDefault" });
    assert.deepEqual(await hostA.getCapabilities(), localA.getCapabilities());

    // Local pools are per host: both hosts get the same first one.
    const localPoolA = await hostA.requestPool({ addressSpace: "LocalDefault", v6: false });
    const localPoolB = await hostB.requestPool({ addressSpace: "LocalDefault", v6: false });
    assert.equal(localPoolA.pool, "172.17.0.0/16");
    assert.equal(localPoolB.pool, "172.17.0.0/16");
    assert.equal((await hostA.requestAddress(localPoolA.poolId)).address, "172.17.0.1/16");
    assert.ok(localA.isAllocated(localPoolA.poolId, "172.17.0.1"));

    // Global pools and addresses are the cluster's: the second host gets the next ones.
    const globalA = await hostA.requestPool({ addressSpace: "GlobalDefault", v6: false });
    const globalB = await hostB.requestPool({ addressSpace: "GlobalDefault", v6: false });
    assert.deepEqual([globalA.pool, globalB.pool], ["10.0.0.0/24", "10.0.1.0/24"]);
    assert.equal((await hostA.requestAddress(globalA.poolId, "10.0.0.5")).address, "10.0.0.5/24");
    await assert.rejects(Promise.resolve(hostB.requestAddress(globalA.poolId, "10.0.0.5")), /in use/);
    await hostA.releaseAddress(globalA.poolId, "10.0.0.5");
    assert.equal((await hostB.requestAddress(globalA.poolId, "10.0.0.5")).address, "10.0.0.5/24");
    await hostB.releasePool(globalA.poolId);
    await hostA.releasePool(localPoolA.poolId);
    assert.equal(localA.listPools().length, 0);
  });

  it("without a global IPAM, GlobalDefault goes to the local one", async () => {
    const local = new DefaultIpam();
    const ipam = new ByScopeIpam(local);
    const pool = await ipam.requestPool({ addressSpace: "GlobalDefault", v6: false });
    assert.equal(pool.poolId, "GlobalDefault/10.0.0.0/24");
    assert.equal((await ipam.requestAddress(pool.poolId)).address, "10.0.0.1/24");
    assert.deepEqual(local.listPools().map((p) => p.poolId), [pool.poolId]);
  });
});
