/**
 * NetworkDB's state pieces on their own: Lamport clocks, the table store
 * (indexes, tombstone purge, resurrection floors, memory per entry), network
 * attachments (Docker's network event rules), cluster nodes, peer choice,
 * datagram packing and the watch hub.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { NetworkEventBroadcast, NodeEventBroadcast, TableEventBroadcast, TransmitQueue } from "../../../src/networkdb/broadcasts.js";
import { compoundMessageSize, compoundPartSize } from "../../../src/networkdb/codec.js";
import { randomPeers } from "../../../src/networkdb/context.js";
import { packCompounds } from "../../../src/networkdb/datagram.js";
import { LamportClock } from "../../../src/networkdb/lamport.js";
import { nullLogger, seededRandom, type Node } from "../../../src/networkdb/memberlist/index.js";
import { Networks } from "../../../src/networkdb/networks.js";
import { ClusterNodes } from "../../../src/networkdb/nodes.js";
import { TableStore, storedValue, valueBytes, type TableEntry } from "../../../src/networkdb/tables.js";
import { WatchHub, type WatchEvent } from "../../../src/networkdb/watch.js";
import { collectingLogger } from "../../log-lines.js";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function entry(owner: string, ltime: number, value = "v", deleting = false, reapAt = 0): TableEntry {
  return { value: storedValue(bytes(value)), owner, ltime, deleting, reapAt };
}

describe("Lamport clock", () => {
  it("ticks on local events and jumps past witnessed times, as serf's", () => {
    const c = new LamportClock();
    assert.equal(c.time(), 0);
    assert.equal(c.increment(), 1);
    c.witness(10);
    assert.equal(c.time(), 11);
    assert.equal(c.increment(), 12);
    c.witness(5); // behind: no change
    assert.equal(c.time(), 12);
    c.witness(12); // equal: moves past it
    assert.equal(c.time(), 13);
  });
});

describe("table store", () => {
  it("reaches one entry by network and by table, and keeps counts", () => {
    const s = new TableStore();
    assert.equal(s.set("t1", "n1", "a", entry("x", 1)), true);
    assert.equal(s.set("t1", "n2", "b", entry("x", 2)), true);
    assert.equal(s.set("t2", "n1", "c", entry("y", 3, "v", true, 100)), true);
    assert.equal(s.set("t1", "n1", "a", entry("y", 4)), false);
    assert.equal(s.size, 3);
    assert.equal(s.tombstones, 1);
    assert.deepEqual([...s.network("n1")].map(([t, k]) => `${t}/${k}`).sort(), ["t1/a", "t2/c"]);
    assert.deepEqual([...s.table("t1")].map(([n, k]) => `${n}/${k}`).sort(), ["n1/a", "n2/b"]);
    assert.equal(s.get("t1", "n1", "a")?.owner, "y");
    assert.equal(s.countNetwork("n1"), 2);
    s.delete("t1", "n2", "b");
    assert.deepEqual(s.tableNames().sort(), ["t1", "t2"]);
    assert.deepEqual([...s.table("t1")].map(([n]) => n), ["n1"]);
    s.delete("t2", "n1", "c");
    assert.equal(s.tombstones, 0);
    assert.deepEqual(s.tableNames(), ["t1"]);
  });

  it("stores values as bytes exactly, whatever they hold", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(valueBytes(storedValue(all)), all);
    assert.deepEqual(valueBytes(storedValue(new Uint8Array(0))), new Uint8Array(0));
  });

  it("purges due tombstones and raises the owner's floor only where it is tracked", () => {
    const s = new TableStore();
    s.set("t", "n1", "dead", entry("x", 7, "v", true, 100));
    s.set("t", "n1", "later", entry("x", 9, "v", true, 500));
    s.set("t", "n1", "live", entry("x", 8));
    s.set("t", "n2", "dead", entry("x", 6, "v", true, 100));
    const purged = s.purge(100, (nid) => nid === "n1");
    assert.equal(purged, 2);
    assert.equal(s.get("t", "n1", "dead"), undefined);
    assert.ok(s.get("t", "n1", "later"));
    assert.ok(s.get("t", "n1", "live"));
    assert.equal(s.floor("n1", "x"), 7);
    assert.equal(s.floor("n2", "x"), 0, "n2 is not tracked: no floor");
    s.clearOwnerFloors("x");
    assert.equal(s.floor("n1", "x"), 0);
    s.purge(500, () => true);
    assert.equal(s.floor("n1", "x"), 9);
    s.clearNetworkFloors("n1");
    assert.equal(s.floor("n1", "x"), 0);
  });

  it("costs at most 200 bytes per entry beyond its key and value (100,000 entries, 64-byte keys, 200-byte values)", (t) => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const n = 100_000;
    const keys: string[] = [];
    const values: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      keys.push(`key-${i}`.padEnd(64, "."));
      const v = new Uint8Array(200);
      v[0] = i & 0xff;
      v[1] = (i >> 8) & 0xff;
      v[2] = i >> 16;
      values.push(v);
    }
    const owners = Array.from({ length: 50 }, (_, i) => `node${i}`.padEnd(12, "0"));
    gc();
    gc();
    const before = process.memoryUsage();
    const s = new TableStore();
    for (let i = 0; i < n; i++) {
      s.set("overlay_peer_table", `network-${i % 10}`, keys[i]!, {
        value: storedValue(values[i]!),
        owner: owners[i % 50]!,
        ltime: i + 1,
        deleting: false,
        reapAt: 0,
      });
    }
    gc();
    gc();
    const after = process.memoryUsage();
    const total = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
    // Keys already exist (the caller's strings become the Map keys); values are copied in.
    const overhead = total / n - 200;
    t.diagnostic(`overhead ${overhead.toFixed(1)} bytes per entry`);
    assert.ok(overhead <= 200, `overhead ${overhead.toFixed(1)} bytes per entry`);
    assert.equal(s.size, n);
    assert.deepEqual(valueBytes(s.get("overlay_peer_table", "network-7", keys[12347]!)!.value), values[12347]);
  });
});

describe("network attachments", () => {
  const known = (): boolean => true;

  it("applies Docker's rules: newer wins, leave needs a known attachment, unknown nodes are ignored", () => {
    const n = new Networks("me");
    assert.equal(n.applyNetworkEvent({ type: "leave", ltime: 5, node: "a", nid: "x" }, known, 0), "ignored");
    assert.equal(n.applyNetworkEvent({ type: "join", ltime: 5, node: "a", nid: "x" }, () => false, 0), "ignored");
    assert.equal(n.applyNetworkEvent({ type: "join", ltime: 5, node: "a", nid: "x" }, known, 0), "joined");
    assert.deepEqual(n.peersOf("x"), ["a"]);
    assert.equal(n.applyNetworkEvent({ type: "join", ltime: 5, node: "a", nid: "x" }, known, 0), "ignored");
    assert.equal(n.applyNetworkEvent({ type: "leave", ltime: 4, node: "a", nid: "x" }, known, 0), "ignored");
    assert.equal(n.applyNetworkEvent({ type: "leave", ltime: 6, node: "a", nid: "x" }, known, 99), "left");
    assert.deepEqual(n.peersOf("x"), []);
    assert.equal(n.get("a", "x")?.leaving, true);
    // An older join cannot undo the leave; a newer one does.
    assert.equal(n.applyNetworkEvent({ type: "join", ltime: 6, node: "a", nid: "x" }, known, 0), "ignored");
    assert.equal(n.applyNetworkEvent({ type: "join", ltime: 7, node: "a", nid: "x" }, known, 0), "joined");
    // Events about ourselves are ours to make.
    assert.equal(n.applyNetworkEvent({ type: "join", ltime: 9, node: "me", nid: "x" }, known, 0), "ignored");
  });

  it("reaps leaving attachments when their time comes, and finds common networks", () => {
    const n = new Networks("me");
    n.applyNetworkEvent({ type: "join", ltime: 1, node: "a", nid: "x" }, known, 0);
    n.applyNetworkEvent({ type: "join", ltime: 1, node: "a", nid: "y" }, known, 0);
    n.applyNetworkEvent({ type: "leave", ltime: 2, node: "a", nid: "y" }, known, 50);
    for (const id of ["x", "y"]) {
      n.setLocal({ id, ltime: 1, leaving: false, reapAt: 0, inSync: true, awaitingPeer: false, tableBroadcasts: null!, messagesSent: 0 });
    }
    assert.deepEqual(n.commonNetworks("a"), ["x"]);
    assert.deepEqual(n.reap(49), []);
    n.reap(50);
    assert.equal(n.get("a", "y"), undefined);
    assert.ok(n.get("a", "x"));
    n.deleteNode("a");
    assert.deepEqual(n.peersOf("x"), ["me"]);
  });
});

describe("cluster nodes", () => {
  const node = (name: string, addr: string, port = 7946): Node => ({
    name,
    addr,
    port,
    meta: null,
    pMin: 1,
    pMax: 5,
    pCur: 2,
    dMin: 0,
    dMax: 0,
    dCur: 0,
  });

  it("moves nodes between active, failed and left, keeping the first reap time", () => {
    const c = new ClusterNodes();
    c.add(node("a", "10.0.0.1"));
    c.add(node("b", "10.0.0.2"));
    assert.equal(c.numActive, 2);
    assert.equal(c.changeState("a", "failed", 100), true);
    assert.equal(c.changeState("a", "failed", 200), false);
    assert.equal(c.changeState("a", "left", 300), true);
    assert.equal(c.get("a")?.reapAt, 100, "a failed node that then leaves keeps its reap time");
    assert.equal(c.numActive, 1);
    assert.throws(() => c.changeState("zz", "left", 0));
    assert.deepEqual(c.reap(99), []);
    assert.deepEqual(c.reap(100), ["a"]);
  });

  it("recognises a restarted node: a new name at a known address and port", () => {
    const c = new ClusterNodes();
    c.add(node("old", "10.0.0.1"));
    assert.equal(c.findReincarnation(node("new", "10.0.0.1")), "old");
    assert.equal(c.findReincarnation(node("new", "10.0.0.1", 7947)), undefined);
    assert.equal(c.findReincarnation(node("old", "10.0.0.1")), undefined);
  });
});

describe("peer choice and packing", () => {
  it("picks distinct peers, never ourselves, all of them when asked for more", () => {
    const r = seededRandom(5);
    const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
    for (const m of [0, 1, 3, 10, 49, 50, 1000]) {
      const picked = randomPeers(r, names, m, "n7");
      assert.equal(picked.length, Math.min(m, 49));
      assert.equal(new Set(picked).size, picked.length);
      assert.ok(!picked.includes("n7"));
    }
  });

  it("packs messages into compounds that fit the budget, oversize ones apart", () => {
    const msgs = [100, 300, 500, 2000, 40, 700].map((n) => new Uint8Array(n));
    const { packets, oversize } = packCompounds(msgs, 1000);
    assert.deepEqual(oversize.map((m) => m.length), [2000]);
    for (const p of packets) {
      const size = compoundMessageSize(p.reduce((a, m) => a + compoundPartSize(m.length), 0));
      assert.ok(size <= 1000, `packet of ${size} bytes`);
    }
    assert.deepEqual(packets.flat().map((m) => m.length), [100, 300, 500, 40, 700]);
  });
});

describe("transmit queue", () => {
  const msg = (s: string): Uint8Array => bytes(s);
  const text = (ms: Uint8Array[]): string[] => ms.map((m) => new TextDecoder().decode(m));

  it("sends each broadcast retransmitMult * ceil(log10(n + 1)) times, least transmitted and newest first", () => {
    const q = new TransmitQueue(() => 9, 2); // limit 2 * 1 = 2
    q.queueBroadcast(new TableEventBroadcast("n", "t", "a", msg("a")));
    q.queueBroadcast(new TableEventBroadcast("n", "t", "b", msg("b")));
    assert.deepEqual(text(q.getBroadcasts(0, 1)), ["b"], "only one fits: the newest");
    q.queueBroadcast(new TableEventBroadcast("n", "t", "c", msg("c")));
    assert.deepEqual(text(q.getBroadcasts(0, 100)), ["c", "a", "b"]);
    assert.equal(q.numQueued(), 2, "b reached its limit");
    assert.deepEqual(text(q.getBroadcasts(0, 100)), ["c", "a"]);
    assert.equal(q.numQueued(), 0);
    assert.deepEqual(q.getBroadcasts(0, 100), []);
  });

  it("replaces a queued broadcast about the same thing, finishing it, and respects overhead", () => {
    const q = new TransmitQueue(() => 1000, 4);
    let finished = 0;
    const node = new NodeEventBroadcast(msg("node"), () => finished++);
    q.queueBroadcast(node);
    q.queueBroadcast(new NetworkEventBroadcast("x", "a", msg("join")));
    q.queueBroadcast(new NetworkEventBroadcast("x", "a", msg("leave")));
    q.queueBroadcast(new NetworkEventBroadcast("x", "b", msg("other")));
    assert.equal(q.numQueued(), 3);
    assert.deepEqual(text(q.getBroadcasts(10, 100)).sort(), ["leave", "node", "other"]);
    assert.deepEqual(text(q.getBroadcasts(10, 25)), ["other"], "overhead counts: one message of 5 + 10 fits in 25");
    for (let i = 0; i < 20; i++) q.getBroadcasts(0, 1000);
    assert.equal(finished, 1, "the node event finished once, after its transmissions");
    assert.equal(q.numQueued(), 0);
  });
  it("prunes to a bound, dropping the most transmitted, then the oldest, first", () => {
    const q = new TransmitQueue(() => 9, 4); // limit 4
    for (const k of ["a", "b", "c"]) q.queueBroadcast(new TableEventBroadcast("n", "t", k, msg(k)));
    q.getBroadcasts(0, 100); // a, b, c sent once
    for (const k of ["d", "e"]) q.queueBroadcast(new TableEventBroadcast("n", "t", k, msg(k)));
    q.prune(5);
    assert.equal(q.numQueued(), 5, "at the bound: nothing dropped");
    q.prune(3);
    assert.equal(q.numQueued(), 3);
    assert.deepEqual(text(q.getBroadcasts(0, 100)), ["e", "d", "c"], "a and b (sent, oldest) went first");
    q.prune(0);
    assert.equal(q.numQueued(), 0);
    assert.deepEqual(q.getBroadcasts(0, 100), []);
  });

  it("keeps to its maxRetain as broadcasts are queued", () => {
    const q = new TransmitQueue(() => 9, 4, 2);
    for (const k of ["a", "b", "c"]) q.queueBroadcast(new TableEventBroadcast("n", "t", k, msg(k)));
    assert.equal(q.numQueued(), 2);
    assert.deepEqual(text(q.getBroadcasts(0, 100)), ["c", "b"], "the oldest went");
  });
});

describe("watch hub", () => {
  it("delivers matching events in order, a microtask later, to iterators and listeners", async () => {
    const hub = new WatchHub(nullLogger);
    const seen: string[] = [];
    hub.watch({ table: "t" }, (e) => seen.push(`${e.type}:${e.nid}/${e.key}`));
    const it = hub.watch({ table: "t", nid: "b" }, null);
    hub.emit("create", "t", "a", "k1", bytes("1"));
    hub.emit("update", "t", "b", "k2", bytes("2"));
    hub.emit("create", "other", "b", "k3", bytes("3"));
    hub.emit("delete", "t", "b", "k2", bytes("2"));
    assert.deepEqual(seen, [], "nothing inside the emitting call");
    const first = await it.next();
    assert.deepEqual(seen, ["create:a/k1", "update:b/k2", "delete:b/k2"]);
    const e1 = first.value as WatchEvent;
    assert.equal(`${e1.type}:${e1.key}`, "update:k2");
    const e2 = (await it.next()).value as WatchEvent;
    assert.equal(`${e2.type}:${e2.key}`, "delete:k2");
    const pending = it.next();
    it.close();
    assert.equal((await pending).done, true);
    assert.equal(hub.size, 1);
  });

  it("logs a listener that throws, naming the event, and still delivers to the others", async () => {
    const logger = collectingLogger();
    const lines = logger.lines;
    const hub = new WatchHub(logger);
    const seen: string[] = [];
    hub.watch({ table: "t" }, () => {
      throw new Error("listener bug");
    });
    hub.watch({ table: "t" }, (e) => seen.push(e.key));
    hub.emit("create", "t", "n1", "k1", bytes("1"));
    await Promise.resolve();
    assert.deepEqual(seen, ["k1"]);
    assert.deepEqual(lines, ["warn networkdb: a watcher of t/n1 failed on the create of k1: listener bug"]);
  });
});
