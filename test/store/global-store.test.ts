import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GlobalNetworkChange } from "../../src/controllerapi/index.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../../src/errors.js";
import { EtcdGlobalStore } from "../../src/store/etcd/global-store.js";
import { Relay, etcdFixture, networkRecord, waitUntil } from "./helpers.js";
import { collectingLogger } from "../log-lines.js";

const fx = etcdFixture();

/** Two hosts on one etcd, sharing a root of their own. */
async function twoHosts(): Promise<[EtcdGlobalStore, EtcdGlobalStore]> {
  const root = fx.newRoot();
  return [new EtcdGlobalStore(await fx.connect(root)), new EtcdGlobalStore(await fx.connect(root))];
}

function endpoint(id: string, host: string) {
  return { id, name: `ep-${id}`, host, address: "10.0.0.2/24" };
}

describe("EtcdGlobalStore", () => {
  it("a network created on one host is listed and watched on another", async () => {
    const [a, b] = await twoHosts();
    const first = networkRecord("first");
    await a.createNetwork(first);
    const changes: GlobalNetworkChange[] = [];
    const watch = await b.watchNetworks((c) => changes.push(c));
    try {
      assert.deepEqual(watch.networks.map((n) => n.name), ["first"]);
      assert.deepEqual(watch.networks[0], first);
      const second = networkRecord("second");
      await a.createNetwork(second);
      await a.deleteNetwork(first.id);
      await waitUntil("b sees both changes", () => changes.length >= 2, 5000);
      assert.deepEqual(changes, [
        { type: "put", record: second },
        { type: "delete", id: first.id },
      ]);
    } finally {
      watch.close();
    }
  });

  it("refuses a second network of one name or id, from any host", async () => {
    const [a, b] = await twoHosts();
    const net = networkRecord("dup");
    await a.createNetwork(net);
    await assert.rejects(b.createNetwork(networkRecord("dup")), (e: unknown) => e instanceof ConflictError && /name dup already exists/.test(e.message));
    await assert.rejects(b.createNetwork({ ...networkRecord("other"), id: net.id }), ConflictError);
    // Racing creates of one name: exactly one wins.
    const results = await Promise.allSettled([a.createNetwork(networkRecord("race")), b.createNetwork(networkRecord("race"))]);
    assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    // A name is free again once its network is deleted.
    await a.deleteNetwork(net.id);
    await b.createNetwork(networkRecord("dup"));
  });

  it("refuses to delete a network while any host has endpoints on it", async () => {
    const [a, b] = await twoHosts();
    const net = networkRecord("busy");
    await a.createNetwork(net);
    await b.putEndpoint(net.id, endpoint("e1", "host-b"));
    await b.putEndpoint(net.id, endpoint("e1", "host-b")); // re-registration is fine
    await a.putEndpoint(net.id, endpoint("e2", "host-a"));
    assert.deepEqual((await a.listEndpoints(net.id)).map((e) => e.id).sort(), ["e1", "e2"]);
    await assert.rejects(a.deleteNetwork(net.id), (e: unknown) => e instanceof ForbiddenError && /ep-e1 \(e1\) on host-b/.test(e.message));
    await b.deleteEndpoint(net.id, "e1");
    await b.deleteEndpoint(net.id, "e1"); // already gone: fine
    await assert.rejects(a.deleteNetwork(net.id), ForbiddenError);
    await a.deleteEndpoint(net.id, "e2");
    await a.deleteNetwork(net.id);
    await assert.rejects(a.deleteNetwork(net.id), NotFoundError);
    await assert.rejects(b.putEndpoint(net.id, endpoint("e3", "host-b")), NotFoundError);
    assert.deepEqual(await b.listEndpoints(net.id), []);
  });

  it("never leaves an endpoint on a deleted network when delete and putEndpoint race (200 rounds)", async () => {
    const [a, b] = await twoHosts();
    const outcomes = { deleted: 0, registered: 0 };
    for (let round = 0; round < 200; round++) {
      const net = networkRecord(`race-${round}`);
      await a.createNetwork(net);
      // deleteNetwork reads before its transaction: start the registration a
      // little later in some rounds, so both orders really race.
      const lag = round % 4;
      const register = new Promise((r) => setTimeout(r, lag)).then(() => b.putEndpoint(net.id, endpoint(`e${round}`, "host-b")));
      const [del, put] = await Promise.allSettled([a.deleteNetwork(net.id), register]);
      const left = await a.listEndpoints(net.id);
      if (del.status === "fulfilled") {
        assert.equal(put.status, "rejected", `round ${round}: both succeeded`);
        assert.ok(put.status === "rejected" && put.reason instanceof NotFoundError);
        assert.deepEqual(left, [], `round ${round}: an endpoint on a deleted network`);
        outcomes.deleted++;
      } else {
        assert.ok(del.reason instanceof ForbiddenError, `round ${round}: ${String(del.reason)}`);
        assert.equal(put.status, "fulfilled");
        assert.equal(left.length, 1);
        outcomes.registered++;
        await b.deleteEndpoint(net.id, `e${round}`);
        await a.deleteNetwork(net.id);
      }
    }
    assert.ok(outcomes.deleted > 0 && outcomes.registered > 0, `one order never happened: ${JSON.stringify(outcomes)}`);
    console.log(`delete/putEndpoint race: ${outcomes.deleted} deletes won, ${outcomes.registered} registrations won`);
  });

  it("a record no cnm can read, and a listener that throws, are logged by name and do not stop the watch", async () => {
    const root = fx.newRoot();
    const logger = collectingLogger();
    const lines = logger.lines;
    const raw = await fx.connect(root);
    const a = new EtcdGlobalStore(raw);
    const b = new EtcdGlobalStore(await fx.connect(root, undefined, logger));
    const changes: GlobalNetworkChange[] = [];
    const watch = await b.watchNetworks((c) => {
      if (c.type === "put" && c.record.name === "trips-the-listener") throw new Error("listener bug");
      changes.push(c);
    });
    try {
      await raw.client.put(`${root}networks/id/garbled`).value("{not json");
      const trips = networkRecord("trips-the-listener");
      await a.createNetwork(trips);
      const fine = networkRecord("fine");
      await a.createNetwork(fine);
      await waitUntil("the readable record after both", () => changes.length === 1, 5000);
      assert.deepEqual(changes, [{ type: "put", record: fine }]);
      const errors = lines.filter((l) => l.startsWith("error "));
      assert.equal(errors.length, 2, lines.join("\n"));
      assert.match(errors[0]!, /^error etcd: network garbled skipped: cluster store holds a malformed network record: /);
      assert.equal(errors[1], `error etcd: the listener of networks/id/ failed on the put of network ${trips.id}: listener bug`);
    } finally {
      watch.close();
    }
  });

  it("the watch goes on after etcd is killed and restarted", async () => {
    const [a, b] = await twoHosts();
    const changes: GlobalNetworkChange[] = [];
    const watch = await b.watchNetworks((c) => changes.push(c));
    try {
      const before = networkRecord("before-kill");
      await a.createNetwork(before);
      await waitUntil("the first change", () => changes.length === 1, 5000);
      await fx.etcd.kill();
      await fx.etcd.restart();
      const afterRestart = networkRecord("after-restart");
      await a.createNetwork(afterRestart);
      await a.deleteNetwork(before.id);
      await waitUntil("changes after the restart", () => changes.length >= 3, 15_000);
      await new Promise((r) => setTimeout(r, 300)); // nothing repeated late either
      assert.deepEqual(changes, [
        { type: "put", record: before },
        { type: "put", record: afterRestart },
        { type: "delete", id: before.id },
      ]);
    } finally {
      watch.close();
    }
  });

  it("a host cut off while history is compacted catches up by listing again, without repeats", async () => {
    const root = fx.newRoot();
    const a = new EtcdGlobalStore(await fx.connect(root));
    const relay = await Relay.start({ host: fx.etcd.host, port: fx.etcd.clientPort });
    try {
      const direct = await fx.connect(root);
      const b = new EtcdGlobalStore(await fx.connect(root, relay.endpoint));
      const kept = networkRecord("kept");
      const dropped = networkRecord("dropped");
      await a.createNetwork(kept);
      await a.createNetwork(dropped);
      const changes: GlobalNetworkChange[] = [];
      const watch = await b.watchNetworks((c) => changes.push(c));
      try {
        assert.equal(watch.networks.length, 2);
        relay.cut();
        await a.deleteNetwork(dropped.id);
        const added = networkRecord("added");
        await a.createNetwork(added);
        const transient = networkRecord("transient");
        await a.createNetwork(transient);
        await a.deleteNetwork(transient.id);
        // Compact etcd's history past everything b has seen.
        const rev = (await direct.range({ key: direct.key("") })).header.revision;
        await direct.client.kv.compact({ revision: rev, physical: true });
        relay.restore();
        await waitUntil("b catches up", () => changes.length >= 2, 15_000);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(
          changes.map((c) => (c.type === "put" ? `put ${c.record.name}` : `delete ${c.id}`)).sort(),
          [`delete ${dropped.id}`, "put added"].sort(),
        );
        // And it keeps watching afterwards.
        const later = networkRecord("later");
        await a.createNetwork(later);
        await waitUntil("b sees a later change", () => changes.length === 3, 5000);
        assert.deepEqual(changes[2], { type: "put", record: later });
      } finally {
        watch.close();
      }
    } finally {
      await relay.close();
    }
  });
});
