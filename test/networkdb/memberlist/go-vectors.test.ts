/**
 * Our node stands in for Go node1 (3fcdb6b507c4 at 192.0.2.101) of the
 * captured cluster, and captured Go bytes from node2 are fed to it over the
 * in-memory network. What it answers must be what Go node1 answered, byte for
 * byte: the join push/pull reply, the gossip of the two alive messages (with
 * CRC, uncompressed), and the plain ack to a ping.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeGossip, decodePacket, decodeStream, encodePacket, encodeStream, leafMessages } from "../../../src/networkdb/wire/index.js";
import {
  MemNetwork,
  Memberlist,
  VirtualClock,
  seededRandom,
  type Delegate,
  type Packet,
} from "../../../src/networkdb/memberlist/index.js";
import { loadCapture, toHex, type CaptureLine } from "../vectors.js";
import { settle } from "./sim.js";

const NODE1 = { name: "3fcdb6b507c4", addr: "192.0.2.101:7946" };
const NODE2 = { name: "f4b20cc8afb4", addr: "192.0.2.102:7946" };

/** NetworkDB's side as node1 had it at join time: empty meta, fixed push/pull state, nothing to broadcast. */
class Node1Delegate implements Delegate {
  readonly messages: Uint8Array[] = [];
  readonly merged: Uint8Array[] = [];
  constructor(private readonly state: Uint8Array) {}
  nodeMeta(): Uint8Array {
    return new Uint8Array(0);
  }
  notifyMsg(payload: Uint8Array): void {
    this.messages.push(payload);
  }
  getBroadcasts(): Uint8Array[] {
    return [];
  }
  localState(): Uint8Array {
    return this.state;
  }
  mergeRemoteState(buf: Uint8Array): void {
    this.merged.push(buf);
  }
}

describe("a node fed captured Go traffic answers as Go did", () => {
  const lines = loadCapture("networkdb-go.annotated.ndjson");
  const at = (i: number): CaptureLine => lines[i]!;

  it("join push/pull reply, gossip, ack: byte for byte", async () => {
    // Capture lines (see the vectors README): 0/1 = stream 0, node2's join
    // push/pull and node1's reply; 2, 4, 7 = node1's gossip to node2;
    // 3 = node2's gossip; 10/11 = node2's ping and node1's ack.
    assert.equal(at(0).label, "tcp:compress(lzw)>pushPull(join,nodes=1)>PUSH_PULL networks=[]");
    assert.equal(at(1).src, NODE1.addr);
    assert.equal(at(2).label, "hasCrc>compound[alive, alive]");
    assert.equal(at(10).label, "ping");
    assert.equal(at(11).label, "ack");

    const goReply = decodeStream(at(1).bytes);
    assert.equal(goReply.message.type, "pushPull");
    const userState = goReply.message.type === "pushPull" ? goReply.message.userState : new Uint8Array(0);

    const clock = new VirtualClock();
    const net = new MemNetwork({ clock, random: seededRandom(1) });
    const delegate = new Node1Delegate(userState);
    const node1 = await Memberlist.create({
      name: NODE1.name,
      transport: net.createTransport(NODE1.addr),
      clock,
      random: seededRandom(1),
      delegate,
      // Only gossip runs: no probes or periodic push/pulls to interleave.
      probeInterval: 3_600_000,
      pushPullInterval: 0,
    });
    // "node2": a bare transport that replays Go's bytes and records node1's.
    const node2 = net.createTransport(NODE2.addr);
    const received: Packet[] = [];
    node2.listen({ onPacket: (p) => received.push(p), onStream: (s) => s.close() });
    try {
      // 1. node2's join push/pull, exactly as Go sent it; node1's answer must be Go's answer.
      const stream = await settle(clock, node2.dialTimeout(NODE1.addr, 1000));
      await stream.write(at(0).bytes);
      let reply = new Uint8Array(0);
      for (;;) {
        const chunk = await settle(clock, stream.read());
        if (chunk === null) break;
        reply = new Uint8Array([...reply, ...chunk]);
      }
      assert.equal(toHex(reply), at(1).hex, "push/pull reply differs from Go's");
      // node1 merged node2 and handed NetworkDB its state.
      assert.deepEqual(
        node1.members().map((m) => m.name).sort(),
        [NODE1.name, NODE2.name].sort(),
      );
      assert.equal(delegate.merged.length, 1);
      assert.deepEqual(decodeGossip(delegate.merged[0]!).kind, "pushPull");

      // 2. Gossip: node1 sends the queued alive messages (node2's, then its own)
      // with a CRC, uncompressed, retransmitLimit(4, 2) = 4 times, as Go did.
      await clock.advance(2_000);
      const gossip = received.filter((p) => p.from === NODE1.addr);
      assert.equal(gossip.length, 4);
      for (const p of gossip) assert.equal(toHex(p.buf), at(2).hex, "gossip packet differs from Go's");
      assert.equal(node1.broadcasts.numQueued(), 0);

      // 3. node2's own gossip: alive about node1 (same incarnation, nil Meta),
      // alive about node2, and a NetworkDB NODE_EVENT for the delegate.
      node2.writeTo(at(3).bytes, NODE1.addr);
      await clock.advance(10);
      assert.equal(node1.memberState(NODE1.name)!.incarnation, 1, "no refutation of our own alive");
      assert.equal(node1.broadcasts.numQueued(), 0, "nothing new to gossip");
      const user = leafMessages(decodePacket(at(3).bytes).message).find((m) => m.type === "user");
      assert.ok(user !== undefined && user.type === "user");
      assert.deepEqual(delegate.messages, [user.payload]);
      const event = decodeGossip(delegate.messages[0]!);
      assert.equal(event.kind, "nodeEvent");

      // 4. A ping from node2: node1 answers with the plain ack Go sent (no CRC,
      // nil Payload), nothing piggybacked since its queue is empty.
      const before = received.length;
      node2.writeTo(at(10).bytes, NODE1.addr);
      await clock.advance(10);
      const acks = received.slice(before);
      assert.equal(acks.length, 1);
      assert.equal(toHex(acks[0]!.buf), at(11).hex);
      assert.equal(toHex(acks[0]!.buf), "0282a75061796c6f6164c0a55365714e6f01");
    } finally {
      await node1.shutdown();
    }
  });

  it("refutes a Go suspect message about itself with an alive whose Meta is an empty raw", async () => {
    const clock = new VirtualClock();
    const net = new MemNetwork({ clock });
    const node1 = await Memberlist.create({
      name: NODE1.name,
      transport: net.createTransport(NODE1.addr),
      clock,
      delegate: new Node1Delegate(new Uint8Array(0)),
      probeInterval: 3_600_000,
      pushPullInterval: 0,
    });
    const node2 = net.createTransport(NODE2.addr);
    const received: Packet[] = [];
    node2.listen({ onPacket: (p) => received.push(p), onStream: (s) => s.close() });
    try {
      // node2's join, then a suspect about node1 as Go encodes it: hasCrc>suspect.
      const stream = await settle(clock, node2.dialTimeout(NODE1.addr, 1000));
      await stream.write(at(0).bytes);
      await clock.advance(3_000);
      received.length = 0;
      const suspect = lines.find(
        (l) => l.label === "hasCrc>suspect" && JSON.stringify(l.decoded).includes('"Node":"346afb968a38"'),
      );
      assert.ok(suspect !== undefined);
      // Same framing, about node1: re-encode Go's suspect with node1's name and incarnation.
      const { message } = decodePacket(suspect.bytes);
      const leaf = leafMessages(message)[0]!;
      assert.equal(leaf.type, "suspect");
      if (leaf.type !== "suspect") return;
      node2.writeTo(
        encodePacket({ type: "hasCrc", inner: { type: "suspect", body: { ...leaf.body, Node: NODE1.name, Incarnation: 1 } } }),
        NODE1.addr,
      );
      await clock.advance(1_000);
      assert.equal(node1.memberState(NODE1.name)!.incarnation, 2);
      const alives = received
        .flatMap((p) => leafMessages(decodePacket(p.buf).message))
        .filter((m) => m.type === "alive");
      assert.ok(alives.length > 0, "the refutation was gossiped");
      const refutation = alives[0]!;
      assert.ok(refutation.type === "alive");
      assert.equal(refutation.body.Node, NODE1.name);
      assert.equal(refutation.body.Incarnation, 2);
      assert.deepEqual(refutation.body.Meta, new Uint8Array(0), "own Meta is an empty raw (0xa0), not nil");
      assert.deepEqual(Array.from(refutation.body.Vsn!), [1, 5, 2, 0, 0, 0]);
      // Gossip to a node advertising protocol max 5 carries a CRC.
      assert.ok(received.every((p) => p.buf[0] === 0x0c));
    } finally {
      await node1.shutdown();
    }
  });

  it("answers node3's join with the same node records Go sent (self Meta empty, others nil)", async () => {
    // Lines 16/17: stream 1, node3 joins through node1 after node2 did.
    assert.equal(at(16).label, "tcp:compress(lzw)>pushPull(join,nodes=1)>PUSH_PULL networks=[]");
    assert.equal(at(17).label, "tcp:compress(lzw)>pushPull(join,nodes=2)>PUSH_PULL networks=[]");
    const clock = new VirtualClock();
    const net = new MemNetwork({ clock });
    const node1 = await Memberlist.create({
      name: NODE1.name,
      transport: net.createTransport(NODE1.addr),
      clock,
      delegate: new Node1Delegate(new Uint8Array(0)),
      probeInterval: 3_600_000,
      pushPullInterval: 0,
    });
    const node2 = net.createTransport(NODE2.addr);
    node2.listen({ onPacket: () => {}, onStream: (s) => s.close() });
    const node3 = net.createTransport("192.0.2.103:7946");
    node3.listen({ onPacket: () => {}, onStream: (s) => s.close() });
    try {
      const exchange = async (from: typeof node2, request: Uint8Array): Promise<Uint8Array> => {
        const stream = await settle(clock, from.dialTimeout(NODE1.addr, 1000));
        await stream.write(request);
        let reply = new Uint8Array(0);
        for (;;) {
          const chunk = await settle(clock, stream.read());
          if (chunk === null) return reply;
          reply = new Uint8Array([...reply, ...chunk]);
        }
      };
      await exchange(node2, at(0).bytes);
      const ours = decodeStream(await exchange(node3, at(16).bytes)).message;
      const gos = decodeStream(at(17).bytes).message;
      assert.ok(ours.type === "pushPull" && gos.type === "pushPull");
      assert.equal(ours.join, true);
      const records = (m: typeof ours): string[] =>
        m.type === "pushPull"
          ? m.nodes
              .map((n) => toHex(encodeStream({ type: "pushPull", join: false, nodes: [n], userState: new Uint8Array(0) }, { compress: false })))
              .sort()
          : [];
      assert.deepEqual(records(ours), records(gos));
      assert.equal(node1.numMembers(), 3);
    } finally {
      await node1.shutdown();
    }
  });
});
