/**
 * The hand-written codec of the hot NetworkDB messages against the generated
 * protobuf code and the captured Go traffic: byte-identical output, the same
 * decoded fields, clean errors for bad input.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import {
  GossipType,
  compoundParts,
  decodeBulkSync,
  decodeEnvelope,
  decodeNetworkEvent,
  decodeNodeEvent,
  decodePushPull,
  decodeTableEvent,
  encodeBulkSyncMessage,
  encodeCompound,
  encodeEnvelope,
  encodeNetworkEventMessage,
  encodeNodeEventMessage,
  encodePushPullMessage,
  encodeTableEvent,
  encodeTableEventMessage,
  type TableEventFields,
} from "../../../src/networkdb/codec.js";
import { WireError, decodeGossip, decodePacket, decodeStream, encodeGossip, leafMessages, pb } from "../../../src/networkdb/wire/index.js";
import { loadCapture, toHex } from "../vectors.js";

const tableEvent = fc.record({
  type: fc.integer({ min: 0, max: 3 }),
  ltime: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
  node: fc.string({ maxLength: 20 }),
  nid: fc.string({ maxLength: 30 }),
  table: fc.string({ maxLength: 20 }),
  key: fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: "grapheme", maxLength: 10 })),
  value: fc.uint8Array({ maxLength: 300 }),
  residualReapTime: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
});

function generated(e: TableEventFields): Uint8Array {
  return toBinary(
    pb.TableEventSchema,
    create(pb.TableEventSchema, {
      type: e.type,
      lTime: BigInt(e.ltime),
      nodeName: e.node,
      networkId: e.nid,
      tableName: e.table,
      key: e.key,
      value: e.value,
      residualReapTime: e.residualReapTime,
    }),
  );
}

describe("networkdb codec", () => {
  it("writes TableEvents byte for byte as the generated protobuf code, and reads them back", () => {
    fc.assert(
      fc.property(tableEvent, (e) => {
        const mine = encodeTableEvent(e);
        assert.equal(toHex(mine), toHex(generated(e)));
        const back = decodeTableEvent(mine);
        assert.deepEqual({ ...back, value: [...back.value] }, { ...e, value: [...e.value] });
      }),
      { numRuns: 300 },
    );
  });

  it("writes envelopes and COMPOUNDs as the generated code (an empty COMPOUND is 08 05)", () => {
    assert.equal(toHex(encodeCompound([])), "0805");
    fc.assert(
      fc.property(fc.array(tableEvent, { maxLength: 6 }), (events) => {
        const parts = events.map((e) => encodeTableEventMessage(e));
        const mine = encodeCompound(parts);
        const theirs = encodeGossip({
          kind: "compound",
          messages: events.map((e) => ({ kind: "tableEvent", event: create(pb.TableEventSchema, { ...pbFields(e) }) })),
        });
        assert.equal(toHex(mine), toHex(theirs));
        const { type, data } = decodeEnvelope(mine);
        assert.equal(type, GossipType.Compound);
        assert.deepEqual(
          compoundParts(data).map(toHex),
          parts.map(toHex),
        );
      }),
      { numRuns: 100 },
    );
  });

  it("reads network and node events as the generated code writes them", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.string({ maxLength: 20 }),
        fc.string({ maxLength: 40 }),
        (type, ltime, node, nid) => {
          const ne = toBinary(pb.NetworkEventSchema, create(pb.NetworkEventSchema, { type, lTime: BigInt(ltime), nodeName: node, networkId: nid }));
          assert.deepEqual(decodeNetworkEvent(ne), { type, ltime, node, nid });
          const no = toBinary(pb.NodeEventSchema, create(pb.NodeEventSchema, { type, lTime: BigInt(ltime), nodeName: node }));
          assert.deepEqual(decodeNodeEvent(no), { type, ltime, node });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("round-trips the rare messages through the generated code", () => {
    const ne = { type: 2, ltime: 41, node: "3fcdb6b507c4", nid: "net1" };
    assert.deepEqual(decodeNetworkEvent(decodeEnvelope(encodeNetworkEventMessage(ne)).data), ne);
    const no = { type: 1, ltime: 3, node: "n" };
    assert.deepEqual(decodeNodeEvent(decodeEnvelope(encodeNodeEventMessage(no)).data), no);
    const pp = { ltime: 12, node: "a", networks: [{ nid: "x", ltime: 4, node: "b", leaving: true }] };
    assert.deepEqual(decodePushPull(decodeEnvelope(encodePushPullMessage(pp)).data), pp);
    const bs = { ltime: 0, unsolicited: true, node: "a", networks: ["x", "y"], payload: encodeCompound([]) };
    const back = decodeBulkSync(decodeEnvelope(encodeBulkSyncMessage(bs)).data);
    assert.deepEqual({ ...back, payload: toHex(back.payload) }, { ...bs, payload: "0805" });
  });

  it("reads every TABLE_EVENT of the Go captures as the generated code does, and re-encodes it identically", () => {
    let seen = 0;
    for (const name of ["networkdb-go.ndjson", "networkdb-go-lzw.ndjson"]) {
      for (const line of loadCapture(name)) {
        for (const gossip of gossipOf(line.proto, line.bytes)) {
          visitTableEvents(gossip, (raw) => {
            const { type, data } = decodeEnvelope(raw);
            assert.equal(type, GossipType.TableEvent);
            const mine = decodeTableEvent(data);
            const theirs = decodeGossip(raw);
            assert.equal(theirs.kind, "tableEvent");
            if (theirs.kind !== "tableEvent") return;
            assert.equal(mine.ltime, Number(theirs.event.lTime));
            assert.equal(mine.key, theirs.event.key);
            assert.equal(mine.node, theirs.event.nodeName);
            assert.equal(mine.residualReapTime, theirs.event.residualReapTime);
            assert.equal(toHex(mine.value), toHex(theirs.event.value));
            assert.equal(toHex(encodeEnvelope(GossipType.TableEvent, encodeTableEvent(mine))), toHex(raw));
            seen++;
          });
        }
      }
    }
    // 46 + 24 + 24 + 15 + 15 in the main capture, 1 in the LZW one (README counts).
    assert.ok(seen >= 120, `only ${seen} table events found`);
  });

  it("refuses bad input with a WireError", () => {
    const bad = [
      Uint8Array.of(0x08), // varint cut
      Uint8Array.of(0x12, 0x05, 0x01), // length beyond the end
      Uint8Array.of(0x0b), // group wire type
      Uint8Array.of(0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), // 11-byte varint
    ];
    for (const b of bad) assert.throws(() => decodeTableEvent(b), WireError);
    // A time beyond 2^53 cannot be held exactly: refused, not rounded.
    const huge = toBinary(pb.TableEventSchema, create(pb.TableEventSchema, { lTime: 2n ** 60n }));
    assert.throws(() => decodeTableEvent(huge), WireError);
    // Unknown fields are skipped.
    const withExtra = new Uint8Array([...encodeTableEvent({ ...zeroEvent(), key: "k" }), 0x78, 0x05, 0x9a, 0x01, 0x01, 0x00]);
    assert.equal(decodeTableEvent(withExtra).key, "k");
  });
});

function zeroEvent(): TableEventFields {
  return { type: 1, ltime: 1, node: "n", nid: "x", table: "t", key: "", value: new Uint8Array(0), residualReapTime: 0 };
}

function pbFields(e: TableEventFields) {
  return {
    type: e.type,
    lTime: BigInt(e.ltime),
    nodeName: e.node,
    networkId: e.nid,
    tableName: e.table,
    key: e.key,
    value: e.value,
    residualReapTime: e.residualReapTime,
  };
}

/** The networkdb GossipMessages a captured datagram or stream direction carries. */
function gossipOf(proto: "udp" | "tcp", bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (proto === "tcp") {
    const { message } = decodeStream(bytes);
    if (message.type === "user") out.push(message.payload);
    return out;
  }
  for (const m of leafMessages(decodePacket(bytes).message)) if (m.type === "user") out.push(m.payload);
  return out;
}

/** Call `fn` with the raw bytes of every TABLE_EVENT GossipMessage inside `gossip`. */
function visitTableEvents(gossip: Uint8Array, fn: (raw: Uint8Array) => void): void {
  const { type, data } = decodeEnvelope(gossip);
  if (type === GossipType.TableEvent) fn(gossip);
  else if (type === GossipType.Compound) for (const p of compoundParts(data)) visitTableEvents(p, fn);
  else if (type === GossipType.BulkSync) visitTableEvents(decodeBulkSync(data).payload, fn);
}
