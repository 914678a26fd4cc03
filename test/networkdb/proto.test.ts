/**
 * NetworkDB protobuf: field numbers, enum values and proto3 zero-value
 * omission as the README's verified facts state them.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { WireError, decodeGossip, encodeGossip, envelope, pb } from "../../src/networkdb/wire/index.js";
import { fromHex, toHex } from "./vectors.js";

describe("networkdb protobuf", () => {
  it("has Docker's enum values", () => {
    assert.deepEqual(
      [pb.MessageType.INVALID, pb.MessageType.NETWORK_EVENT, pb.MessageType.TABLE_EVENT, pb.MessageType.PUSH_PULL, pb.MessageType.BULK_SYNC, pb.MessageType.COMPOUND, pb.MessageType.NODE_EVENT],
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual([pb.TableEvent_Type.CREATE, pb.TableEvent_Type.UPDATE, pb.TableEvent_Type.DELETE], [1, 2, 3]);
    assert.deepEqual([pb.NetworkEvent_Type.JOIN, pb.NetworkEvent_Type.LEAVE, pb.NodeEvent_Type.JOIN], [1, 2, 1]);
  });

  it("encodes a NETWORK_EVENT like the README example", () => {
    const event = create(pb.NetworkEventSchema, { type: pb.NetworkEvent_Type.JOIN, lTime: 9n, nodeName: "3fcdb6b507c4", networkId: "net1" });
    assert.equal(
      toHex(encodeGossip({ kind: "networkEvent", event })),
      "0801" + "1218" + "0801" + "1009" + "1a0c" + toHex(new TextEncoder().encode("3fcdb6b507c4")) + "2204" + toHex(new TextEncoder().encode("net1")),
    );
  });

  it("writes a DELETE with its value and residual_reap_time as field 8, and a CREATE without it", () => {
    const base = { lTime: 7n, nodeName: "n", networkId: "net1", tableName: "t1", key: "k2", value: new TextEncoder().encode("v2") };
    const del = toHex(toBinary(pb.TableEventSchema, create(pb.TableEventSchema, { ...base, type: pb.TableEvent_Type.DELETE, residualReapTime: 1800 })));
    assert.ok(del.endsWith("3a02763240880e"), del);
    const cre = toHex(toBinary(pb.TableEventSchema, create(pb.TableEventSchema, { ...base, type: pb.TableEvent_Type.CREATE })));
    assert.ok(cre.endsWith("3a027632"), cre);
  });

  it("omits proto3 zero values: an empty COMPOUND is 08 05, a first bulk sync has no l_time", () => {
    assert.equal(toHex(encodeGossip({ kind: "compound", messages: [] })), "0805");
    const bulk = create(pb.BulkSyncMessageSchema, { nodeName: "n", networks: ["net1"] });
    const enc = encodeGossip({ kind: "bulkSync", bulkSync: bulk, payload: { kind: "compound", messages: [] } });
    assert.equal(toHex(enc), "0804" + "120d" + "1a016e" + "22046e657431" + "2a020805");
  });

  it("puts NetworkPushPull.node_name in field 3 and NetworkEntry fields in 1..4", () => {
    const pp = create(pb.NetworkPushPullSchema, {
      lTime: 18n,
      networks: [create(pb.NetworkEntrySchema, { networkId: "a", lTime: 1n, nodeName: "b", leaving: true })],
      nodeName: "c",
    });
    assert.equal(toHex(toBinary(pb.NetworkPushPullSchema, pp)), "0812" + "120a" + "0a0161" + "1001" + "1a0162" + "2001" + "1a0163");
  });

  it("decodes nested trees and keeps unknown message types raw", () => {
    const inner = envelope(pb.MessageType.NODE_EVENT, fromHex("080110031a0161"));
    const compound = encodeGossip({ kind: "compound", messages: [decodeGossip(inner), { kind: "unknown", type: 42, data: Uint8Array.of(1) }] });
    const tree = decodeGossip(compound);
    assert.equal(tree.kind, "compound");
    assert.ok(tree.kind === "compound" && tree.messages[0]!.kind === "nodeEvent" && tree.messages[1]!.kind === "unknown");
    assert.equal(toHex(encodeGossip(tree)), toHex(compound));
  });

  it("throws WireError on malformed protobuf", () => {
    for (const hex of ["08", "12ff01", "0805120a0a", "ffffffffffffffffffff01"]) {
      assert.throws(() => decodeGossip(fromHex(hex)), WireError, hex);
    }
  });
});
