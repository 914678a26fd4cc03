/**
 * Interop with Go NetworkDB, from the captured traffic of three (and two)
 * unmodified Go nodes (/work/shared/vectors). A cnm node takes the place of
 * one Go node: same name, same address; what the Go peers sent to that node
 * (datagrams, and TCP streams through stand-in peers) is fed to it in
 * capture order, in virtual time, and it must end up where the Go node did:
 * the NETWORK_EVENT JOINs, the table entry t1/k1 = v1 then v1b, k2 created
 * then deleted, the state after leaving and rejoining net1 (by bulk sync),
 * and the 20000-byte value that only a bulk sync carries. What it sends
 * back must have the shape Go sends.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import { GossipType, compoundParts, decodeEnvelope, decodeNetworkEvent, decodeTableEvent } from "../../../src/networkdb/codec.js";
import {
  MemNetwork,
  VirtualClock,
  seededRandom,
  type MemTransport,
  type Packet,
} from "../../../src/networkdb/memberlist/index.js";
import { NetworkDB } from "../../../src/networkdb/networkdb.js";
import type { WatchEvent } from "../../../src/networkdb/watch.js";
import { decodePacket, leafMessages } from "../../../src/networkdb/wire/index.js";
import { loadCapture, vectorsDir, type CaptureLine } from "../vectors.js";
import { dec } from "./sim-helpers.js";

const NODE1 = "3fcdb6b507c4";
const NODE2 = "f4b20cc8afb4";
const NODE3 = "346afb968a38";

/** A Go peer stood in for by a transport: it answers our join with its captured push/pull and records what we send. */
class StandIn {
  readonly received: Packet[] = [];
  constructor(
    readonly transport: MemTransport,
    joinReply: Uint8Array | null,
  ) {
    transport.listen({
      onPacket: (p) => this.received.push(p),
      onStream: (s) => {
        void (async () => {
          await s.read();
          if (joinReply !== null) {
            await s.write(joinReply);
            joinReply = null;
          }
          s.close();
        })();
      },
    });
  }
}

interface Replay {
  clock: VirtualClock;
  db: NetworkDB;
  peers: Map<string, StandIn>;
  events: WatchEvent[];
  /** Feed the capture's lines addressed to us with t in [from, to), advancing time as they did. */
  feed(from: number, to: number): Promise<void>;
}

async function startReplay(captureName: string, selfName: string, selfAddr: string, joinStream: number): Promise<Replay> {
  const lines = loadCapture(captureName);
  const clock = new VirtualClock();
  const net = new MemNetwork({ clock, random: seededRandom(1) });
  const joinReply = lines.find((l) => l.proto === "tcp" && l.stream === joinStream && l.dir === "s2c")!;
  const peers = new Map<string, StandIn>();
  for (const l of lines) {
    for (const addr of [l.src, l.dst]) {
      const hostPort = addr.replace(/:\d+$/, ":7946");
      if (hostPort === selfAddr || peers.has(hostPort)) continue;
      peers.set(hostPort, new StandIn(net.createTransport(hostPort), hostPort === joinReply.src ? joinReply.bytes : null));
    }
  }
  const db = await NetworkDB.create({
    nodeId: selfName,
    bindPort: 7946,
    clock,
    random: seededRandom(7),
    // Only what the Go peers sent drives this node: no probes (the stand-ins
    // do not answer), no periodic push/pull or bulk sync of its own.
    memberlist: { transport: net.createTransport(selfAddr), probeInterval: 0, pushPullInterval: 0 },
    bulkSyncInterval: 0,
    retryInterval: 0,
    rejoinInterval: 0,
  });
  const events: WatchEvent[] = [];
  db.watch("t1", "net1", (e) => events.push(e));

  const joined = db.join([joinReply.src.replace(/:\d+$/, ":7946")]);
  await settle(clock, joined);
  let now = joinReply.t;

  const feedLine = async (line: CaptureLine): Promise<void> => {
    if (line.proto === "udp") {
      db.memberlist.ingestPacket(line.bytes, line.src);
      return;
    }
    // A stream a Go peer opened to us: replay its bytes through the stand-in.
    const standIn = peers.get(line.src.replace(/:\d+$/, ":7946"))!;
    const stream = await settle(clock, standIn.transport.dialTimeout(selfAddr, 1000));
    await stream.write(line.bytes);
    stream.close();
  };

  return {
    clock,
    db,
    peers,
    events,
    async feed(from: number, to: number) {
      for (const line of lines) {
        if (line.t < from || line.t >= to || line.dst !== selfAddr) continue;
        if (line.proto === "tcp" && line.dir !== "c2s") continue;
        if (line.t > now) await clock.advance(Math.round((line.t - now) * 1000));
        now = Math.max(now, line.t);
        await feedLine(line);
        await clock.advance(1);
      }
      if (to > now && Number.isFinite(to)) {
        await clock.advance(Math.round((to - now) * 1000));
        now = to;
      }
    },
  };
}

async function settle<T>(clock: VirtualClock, p: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false;
  const tracked = p.finally(() => (done = true));
  tracked.catch(() => {});
  const start = clock.now();
  while (!done && clock.now() - start < maxMs) await clock.advance(10);
  if (!done) throw new Error("did not settle");
  return tracked;
}

/** The table events (type, key, value) in a GossipMessage, compounds and bulk syncs unfolded. */
function tableEvents(gossip: Uint8Array): string[] {
  const { type, data } = decodeEnvelope(gossip);
  if (type === GossipType.TableEvent) {
    const e = decodeTableEvent(data);
    return [`${e.type}:${e.key}=${dec(e.value)}`];
  }
  if (type === GossipType.Compound) return compoundParts(data).flatMap(tableEvents);
  return [];
}

describe("networkdb interop with Go (captured traffic)", () => {
  it("takes node3's place: applies the Go peers' network joins, table events and bulk syncs as node3 did", async () => {
    const r = await startReplay("networkdb-go.annotated.ndjson", NODE3, "192.0.2.103:7946", 1);
    const { db } = r;
    assert.deepEqual(
      db.clusterPeers().map((p) => p.name).sort(),
      [NODE1, NODE2, NODE3].sort(),
      "the Go node's push/pull introduced both Go nodes",
    );

    await r.feed(0, 12.839);
    // Both Go nodes joined net1 (NETWORK_EVENT JOIN at 8.7 and 10.8).
    assert.deepEqual(db.peers("net1").map((p) => p.name).sort(), [NODE1, NODE2].sort());
    const joinTimes = db.diagnostics().networks.find((n) => n.id === "net1")!.attachments;
    for (const a of joinTimes) assert.ok(a.ltime > 0 && !a.leaving);

    const joining = db.joinNetwork("net1");
    await r.feed(12.839, 15.0);
    await settle(r.clock, joining); // answered by the Go nodes' bulk syncs (streams 5 and 7)
    assert.deepEqual(db.peers("net1").map((p) => p.name).sort(), [NODE1, NODE2, NODE3].sort());

    await r.feed(15.0, 17.0);
    assert.equal(dec(db.getEntry("t1", "net1", "k1")), "v1");
    assert.equal(db.getTableByNetwork("t1", "net1").get("k1")?.owner, NODE1);
    await r.feed(17.0, 19.1);
    assert.equal(dec(db.getEntry("t1", "net1", "k2")), "v2");
    assert.equal(db.getTableByNetwork("t1", "net1").get("k2")?.owner, NODE2);
    await r.feed(19.1, 21.2);
    assert.equal(dec(db.getEntry("t1", "net1", "k1")), "v1b");
    await r.feed(21.2, 23.386);
    assert.equal(db.getEntry("t1", "net1", "k2"), undefined);
    const k2 = db.diagnostics().tables["t1"]!.find((e) => e.key === "k2")!;
    assert.equal(k2.deleting, true);
    assert.ok(k2.reapInSeconds! > 1790 && k2.reapInSeconds! <= 1800, "the Go delete's residual_reap_time (1800 s)");

    // node3 leaves net1 (entries of others dropped), then joins again (bulk syncs, streams 9 and 11).
    await settle(r.clock, db.leaveNetwork("net1"));
    assert.equal(db.getTableByNetwork("t1", "net1").size, 0);
    await r.feed(23.386, 25.496);
    const rejoining = db.joinNetwork("net1");
    await r.feed(25.496, 27.606);
    await settle(r.clock, rejoining);
    // The state check the capture recorded on node3 at 27.6: one entry, k1 -> v1b, owner node1.
    const table = db.getTableByNetwork("t1", "net1");
    assert.deepEqual([...table.keys()], ["k1"]);
    assert.equal(dec(table.get("k1")!.value), "v1b");
    assert.equal(table.get("k1")!.owner, NODE1);
    assert.equal(db.diagnostics().tables["t1"]!.find((e) => e.key === "k2")?.deleting, true, "k2's tombstone came by bulk sync");

    // The periodic syncs and push/pulls until node3 was killed change nothing.
    await r.feed(27.606, 62.9);
    assert.deepEqual([...db.getTableByNetwork("t1", "net1").keys()], ["k1"]);
    assert.deepEqual(
      r.events.map((e) => `${e.type} ${e.key}=${dec(e.value)}`),
      ["create k1=v1", "create k2=v2", "update k1=v1b", "delete k2=v2", "delete k1=v1b", "create k1=v1b"],
    );
    const counters = db.diagnostics().counters;
    assert.equal(counters.decodeErrors, 0);
    assert.ok(counters.bulkSyncsReceived >= 4);

    // What cnm sends back has Go's shape: hasCrc > user > COMPOUND[TABLE_EVENT] to each peer.
    const standIn = r.peers.get("192.0.2.101:7946")!;
    standIn.received.length = 0;
    db.createEntry("t1", "net1", "k3", new TextEncoder().encode("v3"));
    await r.clock.advance(5);
    const shapes = standIn.received.map((p) => {
      const { message } = decodePacket(p.buf);
      const leaves = leafMessages(message);
      return { crc: message.type === "hasCrc", leaves };
    });
    const carrying = shapes.filter((s) => s.leaves.some((l) => l.type === "user" && tableEvents(l.payload).length > 0));
    assert.ok(carrying.length >= 1, "the new entry went straight to node1");
    for (const s of carrying) {
      assert.equal(s.crc, true, "node1 speaks protocol 5: the datagram carries a CRC");
      const user = s.leaves.find((l) => l.type === "user")!;
      assert.equal(user.type, "user");
      if (user.type !== "user") continue;
      assert.equal(decodeEnvelope(user.payload).type, GossipType.Compound);
      assert.deepEqual(tableEvents(user.payload), ["1:k3=v3"]);
    }
    await db.shutdown();
  });

  it("takes node2's place in the LZW capture: gets the 20000-byte value by bulk sync", async () => {
    const r = await startReplay("networkdb-go-lzw.annotated.ndjson", "3bdd841673d0", "192.0.2.102:7946", 0);
    await r.feed(0, 5.418);
    const peers = r.db.peers("net1");
    assert.equal(peers.length, 1, "node1 joined net1");
    assert.notEqual(peers[0]!.name, "3bdd841673d0");
    assert.equal(peers[0]!.ip, "192.0.2.101");
    const joining = r.db.joinNetwork("net1");
    await r.feed(5.418, 7.532);
    await settle(r.clock, joining);
    const expected = readFileSync(resolve(vectorsDir, "lzw-big-value.txt"), "utf8").trim();
    assert.equal(expected.length, 20_000);
    assert.equal(dec(r.db.getEntry("t1", "net1", "big")), expected);
    assert.equal(r.events.length, 1);
    await r.db.shutdown();
  });

  it("reads the Go NETWORK_EVENTs with the Lamport times the capture shows", () => {
    // Cross-check of the codec on real bytes: every NETWORK_EVENT decodes to JOIN/LEAVE of net1 by a Go node.
    const names = new Set([NODE1, NODE2, NODE3]);
    let n = 0;
    for (const line of loadCapture("networkdb-go.ndjson")) {
      if (line.proto !== "udp") continue;
      for (const leaf of leafMessages(decodePacket(line.bytes).message)) {
        if (leaf.type !== "user") continue;
        const { type, data } = decodeEnvelope(leaf.payload);
        if (type !== GossipType.NetworkEvent) continue;
        const e = decodeNetworkEvent(data);
        assert.ok(names.has(e.node));
        assert.equal(e.nid, "net1");
        assert.ok(e.type === 1 || e.type === 2);
        assert.ok(e.ltime > 0);
        n++;
      }
    }
    assert.equal(n, 60, "48 JOIN and 12 LEAVE (README)");
  });
});
