import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { describe, it } from "node:test";
import type { GlobalNetworkChange } from "../../src/controllerapi/index.js";
import { GATEWAY_REQUEST } from "../../src/controller/ipam-allocation.js";
import { InvalidParameterError, UnavailableError } from "../../src/errors.js";
import { type ClusterStore, connectClusterStore, parseClusterStoreUrl } from "../../src/store/etcd/client.js";
import { EtcdGlobalStore } from "../../src/store/etcd/global-store.js";
import { EtcdIdPool } from "../../src/store/etcd/id-pool.js";
import { EtcdIpam } from "../../src/store/etcd/ipam.js";
import { Relay, etcdFixture, failsUnavailable, networkRecord, waitUntil } from "./helpers.js";

const fx = etcdFixture();

/** Every key and value under the client's root. */
async function contents(store: ClusterStore): Promise<Map<string, string>> {
  const res = await store.rangePrefix("");
  return new Map(res.kvs.map((kv) => [store.relative(kv.key), kv.value.toString()]));
}

/** One host's view of the cluster: a network with an endpoint, VXLAN ids, a global pool with addresses. */
async function populatedHost(store: ClusterStore) {
  const networks = new EtcdGlobalStore(store);
  const ids = new EtcdIdPool(store, "vxlan");
  const ipam = new EtcdIpam(store);
  const net = networkRecord("kept");
  await networks.createNetwork(net);
  await networks.putEndpoint(net.id, { id: "e1", name: "ep1", host: "h1" });
  await ids.reserve(net.id, {});
  const pool = await ipam.requestPool({ addressSpace: "GlobalDefault", v6: false });
  await ipam.requestAddress(pool.poolId, undefined, GATEWAY_REQUEST);
  await ipam.requestAddress(pool.poolId);
  return { networks, ids, ipam, net, poolId: pool.poolId };
}

/** Every operation of the three stores, each expected to fail while etcd is away. */
function everyOperation(host: Awaited<ReturnType<typeof populatedHost>>): Array<[string, () => Promise<unknown>]> {
  const { networks, ids, ipam, net, poolId } = host;
  return [
    ["createNetwork", () => networks.createNetwork(networkRecord("new"))],
    ["deleteNetwork", () => networks.deleteNetwork(net.id)],
    ["putEndpoint", () => networks.putEndpoint(net.id, { id: "e2", name: "ep2", host: "h1" })],
    ["deleteEndpoint", () => networks.deleteEndpoint(net.id, "e1")],
    ["listEndpoints", () => networks.listEndpoints(net.id)],
    ["watchNetworks", () => networks.watchNetworks(() => {})],
    ["reserve", () => ids.reserve("other-net", {})],
    ["reserve wanted", () => ids.reserve("other-net", { wanted: [5000] })],
    ["release ids", () => ids.release(net.id)],
    ["requestPool", () => ipam.requestPool({ addressSpace: "GlobalDefault", v6: false })],
    ["requestPool static", () => ipam.requestPool({ addressSpace: "GlobalDefault", pool: "10.99.0.0/24", v6: false })],
    ["releasePool", () => ipam.releasePool(poolId)],
    ["requestAddress", () => ipam.requestAddress(poolId)],
    ["requestAddress preferred", () => ipam.requestAddress(poolId, "10.0.0.77")],
    ["requestAddress gateway", () => ipam.requestAddress(poolId, undefined, GATEWAY_REQUEST)],
    ["releaseAddress", () => ipam.releaseAddress(poolId, "10.0.0.2")],
  ];
}

describe("cluster store URLs", () => {
  it("takes etcd://HOST:PORT lists, IPv6 in brackets, and refuses anything else", () => {
    assert.deepEqual(parseClusterStoreUrl("etcd://198.51.100.2:2379"), ["198.51.100.2:2379"]);
    assert.deepEqual(parseClusterStoreUrl("etcd://a.example:2379,[2001:db8::1]:2379"), ["a.example:2379", "[2001:db8::1]:2379"]);
    for (const bad of ["http://127.0.0.1:2379", "etcd://", "etcd://127.0.0.1", "etcd://127.0.0.1:0", "etcd://127.0.0.1:99999", "etcd://2001:db8::1:2379", "etcd://h:1,", "etcd://h:1/path"]) {
      assert.throws(() => parseClusterStoreUrl(bad), InvalidParameterError, bad);
    }
  });
});

describe("a cluster of several members", () => {
  it("keeps working while one listed member is down", async () => {
    const store = await connectClusterStore(`etcd://127.0.0.1:1,${fx.etcd.endpoint}`, { root: fx.newRoot(), callTimeoutMs: 2000 });
    try {
      const ids = new EtcdIdPool(store, "vxlan");
      for (let i = 0; i < 10; i++) assert.deepEqual(await ids.reserve(`net-${i}`, {}), [4096 + i]);
    } finally {
      await store.close();
    }
  });
});

describe("when etcd is unreachable", () => {
  it("connecting fails with UnavailableError, also to a host that accepts but never answers", async () => {
    const took = await failsUnavailable("connect to a closed port", connectClusterStore("etcd://127.0.0.1:1", { dialTimeoutMs: 1000, callTimeoutMs: 1000 }));
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const port = (silent.address() as import("node:net").AddressInfo).port;
      const started = Date.now();
      const err = await connectClusterStore(`etcd://127.0.0.1:${port}`, { dialTimeoutMs: 500, callTimeoutMs: 3000 }).catch((e: unknown) => e);
      const silentTook = Date.now() - started;
      assert.ok(err instanceof UnavailableError);
      assert.ok(silentTook >= 450 && silentTook < 1500, `the dial timeout was not applied: ${silentTook} ms`);
      assert.match(err.message, new RegExp(`^cluster store etcd://127\\.0\\.0\\.1:${port} is unreachable: `));
      console.log(`connect: refused after ${took} ms, silent host given up after ${silentTook} ms (dial timeout 500 ms)`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("every operation fails fast while etcd is killed, changes nothing, and all works again after a restart", async () => {
    const store = await fx.connect();
    const host = await populatedHost(store);
    const changes: GlobalNetworkChange[] = [];
    const watch = await host.networks.watchNetworks((c) => changes.push(c));
    try {
      const before = await contents(store);
      await fx.etcd.kill();
      let slowest = 0;
      for (const [name, op] of everyOperation(host)) slowest = Math.max(slowest, await failsUnavailable(name, op()));
      // Again, now that the client has seen failures (no circuit breaker opening).
      for (const [name, op] of everyOperation(host)) slowest = Math.max(slowest, await failsUnavailable(`${name} (again)`, op()));
      console.log(`etcd killed: ${2 * everyOperation(host).length} operations failed with UnavailableError, slowest in ${slowest} ms`);
      await fx.etcd.restart();
      assert.deepEqual(await contents(store), before, "a failed operation changed the store");
      // Everything works at once, with no half-made state in the way.
      const { networks, ids, ipam, net, poolId } = host;
      const fresh = networkRecord("after-restart");
      await networks.createNetwork(fresh);
      await networks.putEndpoint(fresh.id, { id: "e9", name: "ep9", host: "h1" });
      assert.equal((await networks.listEndpoints(net.id)).length, 1);
      assert.deepEqual(await ids.reserve("other-net", { wanted: [5000] }), [5000]);
      assert.equal((await ipam.requestAddress(poolId, "10.0.0.77")).address, "10.0.0.77/24");
      assert.equal((await ipam.requestAddress(poolId)).address, "10.0.0.3/24");
      assert.equal((await ipam.requestPool({ addressSpace: "GlobalDefault", pool: "10.99.0.0/24", v6: false })).pool, "10.99.0.0/24");
      await networks.deleteEndpoint(net.id, "e1");
      await networks.deleteNetwork(net.id);
      await ids.release(net.id);
      await waitUntil("the watch sees the changes made after the restart", () => changes.length >= 2, 10_000);
      assert.deepEqual(changes, [
        { type: "put", record: fresh },
        { type: "delete", id: net.id },
      ]);
    } finally {
      watch.close();
    }
  });

  it("a hung etcd makes every operation fail at its deadline, and a restored one works at once", async () => {
    const root = fx.newRoot();
    const populated = await populatedHost(await fx.connect(root));
    const relay = await Relay.start({ host: fx.etcd.host, port: fx.etcd.clientPort });
    try {
      const viaRelay = await fx.connect(root, relay.endpoint);
      const ipam = new EtcdIpam(viaRelay);
      const host = { ...populated, networks: new EtcdGlobalStore(viaRelay), ids: new EtcdIdPool(viaRelay, "vxlan"), ipam };
      await ipam.requestAddress(host.poolId); // this host knows the pool already
      const before = await contents(viaRelay);
      relay.stall();
      const ops = everyOperation(host);
      const started = Date.now();
      const took = await Promise.all(ops.map(([name, op]) => failsUnavailable(name, op())));
      console.log(`etcd hung: ${ops.length} concurrent operations failed with UnavailableError in ${Math.min(...took)}..${Math.max(...took)} ms (deadline 2000 ms), all within ${Date.now() - started} ms`);
      relay.restore();
      assert.deepEqual(await contents(viaRelay), before, "a failed operation changed the store");
      assert.equal((await ipam.requestAddress(host.poolId, "10.0.0.78")).address, "10.0.0.78/24");
    } finally {
      await relay.close();
    }
  });
});
