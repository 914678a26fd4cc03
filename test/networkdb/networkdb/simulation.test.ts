/**
 * NetworkDB clusters in virtual time (simulator: MemNetwork + VirtualClock,
 * seeded): propagation inside a network and not outside, bulk sync for a
 * joining node, entries of crashed and leaving nodes, partitions, and the
 * guarantees about deletes and Lamport order.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NetworkDBError } from "../../../src/networkdb/errors.js";
import type { WatchEvent } from "../../../src/networkdb/watch.js";
import {
  cluster,
  dec,
  enc,
  injectBulkSync,
  injectDatagram,
  storedEntry,
  tableEventBytes,
  waitNetwork,
} from "./sim-helpers.js";

describe("networkdb simulation: propagation", () => {
  it("lets nodes that join a network at the same moment see each other's first writes at once", async () => {
    // Without the direct network events, neither knows the other is in until
    // a gossip round, and the writes wait for gossip or a bulk sync.
    const sim = await cluster(3);
    const [a, b] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    const joins = [a.db.joinNetwork("net1"), b.db.joinNetwork("net1")];
    await sim.run(3); // one network latency (1 ms), with room
    await sim.settle(Promise.all(joins));
    a.db.createEntry("t", "net1", "from-a", enc("1"));
    b.db.createEntry("t", "net1", "from-b", enc("2"));
    await sim.run(3);
    assert.equal(dec(b.db.getEntry("t", "net1", "from-a")), "1");
    assert.equal(dec(a.db.getEntry("t", "net1", "from-b")), "2");
    assert.equal(a.db.diagnostics().counters.bulkSyncsReceived + b.db.diagnostics().counters.bulkSyncsReceived, 0, "no bulk sync was needed");
    await sim.shutdown();
  });

  it("sends create, update and delete to every node of the network at once, and to no other node", async () => {
    const sim = await cluster(10);
    const members = sim.nodes.slice(0, 7);
    const others = sim.nodes.slice(7);
    await sim.joinNetwork("net1", members);
    await waitNetwork(sim, "net1", members);
    const [a, b, c] = members as [typeof members[0], typeof members[0], typeof members[0]];

    const seenByC: WatchEvent[] = [];
    c.db.watch("t1", "net1", (e) => seenByC.push(e));
    const seenByA: WatchEvent[] = [];
    a.db.watch(undefined, "net1", (e) => seenByA.push(e));

    a.db.createEntry("t1", "net1", "k1", enc("v1"));
    await sim.run(5);
    // One network latency (1 ms) later, everyone has it: no gossip round was needed.
    for (const m of members) assert.equal(dec(m.db.getEntry("t1", "net1", "k1")), "v1", m.name);

    b.db.updateEntry("t1", "net1", "k1", enc("v1b"));
    await sim.run(5);
    for (const m of members) {
      assert.equal(dec(m.db.getEntry("t1", "net1", "k1")), "v1b", m.name);
      assert.equal(m.db.getTableByNetwork("t1", "net1").get("k1")?.owner, b.name);
    }

    b.db.deleteEntry("t1", "net1", "k1");
    await sim.run(5);
    for (const m of members) {
      assert.equal(m.db.getEntry("t1", "net1", "k1"), undefined, m.name);
      assert.equal(storedEntry(m, "t1", "net1", "k1")?.deleting, true, `${m.name} keeps a tombstone`);
    }

    await sim.run(5_000); // gossip rounds and repair traffic come and go
    for (const o of others) {
      assert.equal(o.db.getTableByNetwork("t1", "net1").size, 0);
      assert.equal(o.db.diagnostics().counters.tableEventsReceived, 0, `${o.name} received table events`);
    }
    assert.deepEqual(
      seenByC.map((e) => `${e.type} ${e.key}=${dec(e.value)}`),
      ["create k1=v1", "update k1=v1b", "delete k1=v1b"],
    );
    assert.deepEqual(
      seenByA.map((e) => e.type),
      ["update", "delete"],
      "a node hears others' changes, not its own",
    );
    await sim.shutdown();
  });

  it("refuses writes it cannot make", async () => {
    const sim = await cluster(2, { networks: ["net1"] });
    const [a] = sim.nodes as [(typeof sim.nodes)[0]];
    a.db.createEntry("t", "net1", "k", enc("v"));
    assert.throws(() => a.db.createEntry("t", "net1", "k", enc("v")), (e: unknown) => (e as NetworkDBError).code === "exists");
    assert.throws(() => a.db.updateEntry("t", "net1", "nope", enc("v")), (e: unknown) => (e as NetworkDBError).code === "not-found");
    assert.throws(() => a.db.createEntry("t", "net2", "k", enc("v")), (e: unknown) => (e as NetworkDBError).code === "not-joined");
    a.db.deleteEntry("t", "net1", "k");
    assert.throws(() => a.db.deleteEntry("t", "net1", "k"), (e: unknown) => (e as NetworkDBError).code === "not-found");
    a.db.createEntry("t", "net1", "k", enc("again")); // a tombstone may be recreated
    await assert.rejects(a.db.leaveNetwork("net9"), (e: unknown) => (e as NetworkDBError).code === "not-found");
    await sim.shutdown();
  });

  it("gives a node joining a network every entry by bulk sync, large values included", async () => {
    const sim = await cluster(6);
    const writers = sim.nodes.slice(0, 5);
    const late = sim.nodes[5]!;
    await sim.joinNetwork("net1", writers);
    await waitNetwork(sim, "net1", writers);
    for (const w of writers) for (let i = 0; i < 10; i++) w.db.createEntry("t", "net1", `${w.name}-${i}`, enc(`${w.name}:${i}`));
    const big = new Uint8Array(20_000).map((_, i) => 65 + (i % 26));
    writers[0]!.db.createEntry("t", "net1", "big", big);
    writers[1]!.db.deleteEntry("t", "net1", `${writers[1]!.name}-3`);
    await sim.run(100);

    await sim.settle(late.db.joinNetwork("net1"));
    // Right when joinNetwork resolves: the sync has been answered.
    const table = late.db.getTableByNetwork("t", "net1");
    assert.equal(table.size, 50, "49 small entries and the big one");
    assert.deepEqual(table.get("big")?.value, big);
    assert.equal(table.has(`${writers[1]!.name}-3`), false);
    assert.equal(storedEntry(late, "t", "net1", `${writers[1]!.name}-3`)?.deleting, true, "the tombstone came too");
    assert.ok(late.db.diagnostics().counters.bulkSyncsReceived >= 1);

    // A large value written now does not fit a datagram: it goes over TCP at once.
    const big2 = new Uint8Array(5_000).fill(7);
    writers[2]!.db.createEntry("t", "net1", "big2", big2);
    await sim.run(50);
    for (const n of sim.nodes) assert.deepEqual(n.db.getEntry("t", "net1", "big2"), big2, n.name);
    assert.ok(writers[2]!.db.diagnostics().counters.directStreams >= 5);
    await sim.shutdown();
  });

  it("splits a bulk sync of a large table into several messages", async () => {
    const sim = await cluster(2, { config: { bulkSyncChunkBytes: 16 * 1024 } });
    const [a, b] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    await sim.joinNetwork("net1", [a]);
    for (let i = 0; i < 1000; i++) a.db.createEntry("t", "net1", `key-${i}`.padEnd(64, "."), new Uint8Array(200).fill(i & 0xff));
    // b joins before it has heard that a is in the network: it syncs with a
    // as soon as it does.
    await sim.settle(b.db.joinNetwork("net1"));
    await sim.run(2_000);
    assert.equal(b.db.getTableByNetwork("t", "net1").size, 1000);
    const sent = a.db.diagnostics().counters;
    // About 300 KB of entries in chunks of 16 KiB.
    assert.ok(sent.bulkSyncsSent >= 18, `${sent.bulkSyncsSent} messages`);
    assert.ok(sent.bulkSyncBytesSent / sent.bulkSyncsSent < 17 * 1024);
    await sim.shutdown();
  });
});

describe("networkdb simulation: entries follow their owner", () => {
  it("refuses an older version of a failed owner's entry that arrives late, and takes the current one back", async () => {
    // No reconnect task and no periodic bulk sync: after the heal, a knows c
    // is back in the network (memberlist push/pull) before c's entries come
    // back, which is when a copy delayed by the partition can land.
    const sim = await cluster(3, { networks: ["net1"], config: { retryInterval: 3_600_000, bulkSyncInterval: 3_600_000 } });
    const [a, b, c] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    c.db.createEntry("t", "net1", "k", enc("v1"));
    await sim.run(50);
    const created = storedEntry(a, "t", "net1", "k")!;
    c.db.updateEntry("t", "net1", "k", enc("v2"));
    await sim.run(50);
    const updated = storedEntry(a, "t", "net1", "k")!;
    assert.ok(updated.ltime > created.ltime);

    sim.partition([c], [a, b]);
    for (let i = 0; i < 600 && a.db.clusterPeers().some((p) => p.name === c.name); i++) await sim.run(100);
    assert.equal(a.db.getEntry("t", "net1", "k"), undefined, "c failed: its entry is gone");
    assert.equal(storedEntry(a, "t", "net1", "k")?.orphan, true, "behind an orphan marker");

    sim.heal();
    for (let i = 0; i < 1200 && a.db.networkSize("net1") < 3; i++) await sim.run(100);
    assert.equal(a.db.networkSize("net1"), 3, "a knows c is back in the network");
    assert.equal(a.db.getEntry("t", "net1", "k"), undefined, "its entries have not come back yet");

    const event = (type: "create" | "update", ltime: number, value: string) =>
      tableEventBytes({ type, ltime, owner: c.name, nid: "net1", table: "t", key: "k", value: enc(value) });
    injectDatagram(a, c, [event("create", created.ltime, "v1")]);
    await sim.run(5);
    assert.equal(a.db.getEntry("t", "net1", "k"), undefined, "the late create (older than what a saw) is refused");
    injectDatagram(a, c, [event("update", updated.ltime, "v2")]);
    await sim.run(5);
    assert.equal(dec(a.db.getEntry("t", "net1", "k")), "v2", "the version a had comes back");
    assert.equal(storedEntry(a, "t", "net1", "k")?.orphan, false);
    void b;
    await sim.shutdown();
  });

  it("removes a crashed node's entries everywhere", async () => {
    const sim = await cluster(8, { networks: ["net1"] });
    for (const n of sim.nodes) for (let i = 0; i < 3; i++) n.db.createEntry("t", "net1", `${n.name}-${i}`, enc("x"));
    await sim.run(100);
    for (const n of sim.nodes) assert.equal(n.db.getTableByNetwork("t", "net1").size, 24);
    const victim = sim.nodes[3]!;
    const deletes: string[] = [];
    sim.nodes[0]!.db.watch("t", "net1", (e) => {
      if (e.type === "delete") deletes.push(e.key);
    });
    sim.crash(victim);
    const spent = await sim.runUntil(
      () => sim.live().every((n) => [...n.db.getTableByNetwork("t", "net1").values()].every((e) => e.owner !== victim.name)),
      60_000,
    );
    assert.ok(spent > 0, "the victim's entries were not removed");
    for (const n of sim.live()) {
      assert.equal(n.db.getTableByNetwork("t", "net1").size, 21);
      assert.equal(n.db.networkSize("net1"), 7);
      assert.ok(!n.db.clusterPeers().some((p) => p.name === victim.name));
    }
    assert.deepEqual(deletes.sort(), [`${victim.name}-0`, `${victim.name}-1`, `${victim.name}-2`]);
    await sim.shutdown();
  });

  it("removes the entries of a node that leaves the network, or the cluster, at once", async () => {
    const sim = await cluster(5, { networks: ["net1"] });
    for (const n of sim.nodes) n.db.createEntry("t", "net1", n.name, enc(n.name));
    await sim.run(100);
    const [a, b] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    await sim.settle(a.db.leaveNetwork("net1"));
    await sim.run(1_000);
    for (const n of sim.nodes.slice(1)) {
      assert.equal(n.db.getEntry("t", "net1", a.name), undefined, n.name);
      assert.equal(n.db.networkSize("net1"), 4);
    }
    assert.equal(a.db.getTableByNetwork("t", "net1").size, 0, "the leaver dropped the others' entries");
    // Rejoining brings them back by bulk sync; our own entry is a tombstone and can be recreated.
    await sim.settle(a.db.joinNetwork("net1"));
    assert.equal(a.db.getTableByNetwork("t", "net1").size, 4);
    a.db.createEntry("t", "net1", a.name, enc("back"));
    await sim.run(100);
    for (const n of sim.nodes) assert.equal(dec(n.db.getEntry("t", "net1", a.name)), "back");

    await sim.settle(b.db.close());
    const spent = await sim.runUntil(() => sim.nodes.slice(2).every((n) => n.db.getEntry("t", "net1", b.name) === undefined), 5_000, 50);
    assert.ok(spent >= 0 && spent < 2_000, `graceful leave took ${spent} ms to be seen`);
    await sim.shutdown();
  });

  it("converges after a partition heals: both sides' writes and deletes everywhere", async () => {
    const sim = await cluster(10, { networks: ["net1"], seed: 4 });
    const left = sim.nodes.slice(0, 5);
    const right = sim.nodes.slice(5);
    for (const n of sim.nodes) {
      n.db.createEntry("t", "net1", `${n.name}-old`, enc("old"));
      n.db.createEntry("t", "net1", `${n.name}-doomed`, enc("doomed"));
    }
    await sim.run(200);
    sim.partition(left, right);
    await sim.run(30_000); // long enough for each side to declare the other failed
    assert.equal(left[0]!.db.clusterSize(), 5);
    for (const n of sim.nodes) {
      n.db.createEntry("t", "net1", `${n.name}-new`, enc("new"));
      n.db.updateEntry("t", "net1", `${n.name}-old`, enc("updated"));
      n.db.deleteEntry("t", "net1", `${n.name}-doomed`);
    }
    await sim.run(5_000);
    sim.heal();
    const spent = await sim.runUntil(() => {
      if (!sim.clusterConverged() || !sim.tableConverged(sim.nodes, "t", "net1")) return false;
      return sim.nodes[0]!.db.getTableByNetwork("t", "net1").size === 20;
    }, 180_000, 500);
    assert.ok(spent >= 0, "did not converge after heal");
    const table = sim.nodes[7]!.db.getTableByNetwork("t", "net1");
    for (const n of sim.nodes) {
      assert.equal(dec(table.get(`${n.name}-new`)?.value), "new");
      assert.equal(dec(table.get(`${n.name}-old`)?.value), "updated");
      assert.equal(table.has(`${n.name}-doomed`), false);
    }
    await sim.shutdown();
  });
});

describe("networkdb simulation: deletes and order", () => {
  it("never brings a deleted entry back with a replayed or late create, before or after the tombstone is reaped", async () => {
    const sim = await cluster(4, {
      networks: ["net1"],
      config: { reapEntryInterval: 60_000, reapPeriod: 5_000 },
    });
    const [a, b, c, d] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    a.db.createEntry("t", "net1", "k", enc("v"));
    await sim.run(50);
    const created = storedEntry(b, "t", "net1", "k")!;
    const createMsg = tableEventBytes({ type: "create", ltime: created.ltime, owner: a.name, nid: "net1", table: "t", key: "k", value: enc("v") });
    const updateMsg = tableEventBytes({ type: "update", ltime: created.ltime, owner: a.name, nid: "net1", table: "t", key: "k", value: enc("v") });
    a.db.deleteEntry("t", "net1", "k");
    await sim.run(50);
    const deleted = storedEntry(b, "t", "net1", "k")!;
    assert.equal(deleted.deleting, true);
    const deleteMsg = tableEventBytes({ type: "delete", ltime: deleted.ltime, owner: a.name, nid: "net1", table: "t", key: "k", value: enc("v") });

    const replay = async (label: string): Promise<void> => {
      injectDatagram(b, a, [createMsg, updateMsg]);
      await injectBulkSync(sim, a, c, "net1", [createMsg]);
      await sim.run(3_000);
      for (const n of sim.nodes) assert.equal(n.db.getEntry("t", "net1", "k"), undefined, `${label}: ${n.name}`);
    };
    await replay("tombstone present");

    // A node that missed both (partitioned away briefly) hears the delete,
    // then the create it was overtaken by: the create stays out.
    sim.partition([d], [a, b, c]);
    a.db.createEntry("t", "net1", "k2", enc("v2"));
    await sim.run(20);
    const k2 = storedEntry(b, "t", "net1", "k2")!;
    a.db.deleteEntry("t", "net1", "k2");
    await sim.run(20);
    const k2del = storedEntry(b, "t", "net1", "k2")!;
    sim.heal();
    injectDatagram(d, a, [tableEventBytes({ type: "delete", ltime: k2del.ltime, owner: a.name, nid: "net1", table: "t", key: "k2", value: enc("v2") })]);
    injectDatagram(d, a, [tableEventBytes({ type: "create", ltime: k2.ltime, owner: a.name, nid: "net1", table: "t", key: "k2", value: enc("v2") })]);
    await sim.run(10);
    assert.equal(d.db.getEntry("t", "net1", "k2"), undefined, "late create after the delete");

    // Past the reap interval the tombstones are gone; the floor still refuses the replay.
    await sim.run(70_000);
    assert.equal(storedEntry(b, "t", "net1", "k"), undefined, "tombstone purged");
    await replay("tombstone purged");
    injectDatagram(b, a, [deleteMsg]);
    await sim.run(10);
    assert.equal(storedEntry(b, "t", "net1", "k"), undefined, "an old delete does not come back either");

    // The owner may create the key again: a newer time passes.
    a.db.createEntry("t", "net1", "k", enc("new"));
    await sim.run(50);
    for (const n of sim.nodes) assert.equal(dec(n.db.getEntry("t", "net1", "k")), "new", n.name);
    await sim.shutdown();
  });

  it("keeps per-key Lamport order: the last write wins whatever the delivery order", async () => {
    const sim = await cluster(6, { networks: ["net1"], seed: 9 });
    // Every datagram and segment takes 1..80 ms: deliveries overtake each other.
    let jitter = 12345;
    sim.net.setLatency(() => {
      jitter = (jitter * 1103515245 + 12345) & 0x7fffffff;
      return 1 + (jitter % 80);
    });
    const a = sim.nodes[0]!;
    a.db.createEntry("t", "net1", "k", enc("0"));
    for (let i = 1; i <= 20; i++) {
      a.db.updateEntry("t", "net1", "k", enc(String(i)));
      await sim.run(3);
    }
    await sim.run(3_000);
    for (const n of sim.nodes) assert.equal(dec(n.db.getEntry("t", "net1", "k")), "20", n.name);

    // Two owners writing the same key at the same Lamport time: every node picks the same one.
    const [, x, y, p, q] = sim.nodes as [unknown, (typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    const at = storedEntry(p, "t", "net1", "k")!.ltime + 100;
    const fromX = tableEventBytes({ type: "create", ltime: at, owner: x.name, nid: "net1", table: "t", key: "tie", value: enc("x") });
    const fromY = tableEventBytes({ type: "create", ltime: at, owner: y.name, nid: "net1", table: "t", key: "tie", value: enc("y") });
    injectDatagram(p, x, [fromX, fromY]);
    injectDatagram(q, y, [fromY, fromX]);
    await sim.run(10);
    const winner = x.name > y.name ? "x" : "y";
    assert.equal(dec(p.db.getEntry("t", "net1", "tie")), winner);
    assert.equal(dec(q.db.getEntry("t", "net1", "tie")), winner);
    await sim.shutdown();
  });
});
