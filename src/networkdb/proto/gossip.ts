/**
 * NetworkDB GossipMessage codec: the generated protobuf types plus the nesting
 * rules Docker's NetworkDB applies on top of them.
 *
 * A GossipMessage's `data` holds the message named by its `type`; a COMPOUND
 * holds further complete GossipMessages, and a BULK_SYNC's `payload` is one
 * complete GossipMessage (a COMPOUND of TABLE_EVENTs). decodeGossip unfolds all
 * of that into one typed tree; encodeGossip folds it back. Protobuf-es writes
 * fields in ascending number order and omits proto3 zero values, as gogoproto
 * does, so the round trip of a Go message is byte-identical.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { WireError } from "../wire/errors.js";
import {
  BulkSyncMessageSchema,
  CompoundMessage_SimpleMessageSchema,
  CompoundMessageSchema,
  GossipMessageSchema,
  MessageType,
  NetworkEventSchema,
  NetworkPushPullSchema,
  NodeEventSchema,
  TableEventSchema,
  type BulkSyncMessage,
  type NetworkEvent,
  type NetworkPushPull,
  type NodeEvent,
  type TableEvent,
} from "./gen/networkdb_pb.js";

/** A GossipMessage with its data decoded, recursively. */
export type DecodedGossip =
  | { kind: "networkEvent"; event: NetworkEvent }
  | { kind: "tableEvent"; event: TableEvent }
  | { kind: "nodeEvent"; event: NodeEvent }
  | { kind: "pushPull"; pushPull: NetworkPushPull }
  /** `bulkSync.payload` is left as received; `payload` is its decoded form (used when encoding). */
  | { kind: "bulkSync"; bulkSync: BulkSyncMessage; payload: DecodedGossip }
  | { kind: "compound"; messages: DecodedGossip[] }
  /** A type this codec does not know (or INVALID): kept as raw data, as NetworkDB ignores it. */
  | { kind: "unknown"; type: number; data: Uint8Array };

/** Compound/bulk-sync nesting limit: Docker nests at most bulkSync > compound > event. */
const MAX_DEPTH = 8;

/** Decode a GossipMessage and everything inside it. Throws WireError("malformed") on bad protobuf. */
export function decodeGossip(bytes: Uint8Array): DecodedGossip {
  return decodeAt(bytes, 0);
}

function decodeAt(bytes: Uint8Array, depth: number): DecodedGossip {
  if (depth > MAX_DEPTH) throw new WireError("malformed", "networkdb: messages nested too deeply");
  const msg = parse(() => fromBinary(GossipMessageSchema, bytes));
  const data = msg.data;
  switch (msg.type) {
    case MessageType.NETWORK_EVENT:
      return { kind: "networkEvent", event: parse(() => fromBinary(NetworkEventSchema, data)) };
    case MessageType.TABLE_EVENT:
      return { kind: "tableEvent", event: parse(() => fromBinary(TableEventSchema, data)) };
    case MessageType.NODE_EVENT:
      return { kind: "nodeEvent", event: parse(() => fromBinary(NodeEventSchema, data)) };
    case MessageType.PUSH_PULL:
      return { kind: "pushPull", pushPull: parse(() => fromBinary(NetworkPushPullSchema, data)) };
    case MessageType.BULK_SYNC: {
      const bulkSync = parse(() => fromBinary(BulkSyncMessageSchema, data));
      return { kind: "bulkSync", bulkSync, payload: decodeAt(bulkSync.payload, depth + 1) };
    }
    case MessageType.COMPOUND: {
      const compound = parse(() => fromBinary(CompoundMessageSchema, data));
      return { kind: "compound", messages: compound.messages.map((m) => decodeAt(m.Payload, depth + 1)) };
    }
    default:
      return { kind: "unknown", type: msg.type, data: data.slice() };
  }
}

/** Encode a decoded tree back to GossipMessage bytes (a BULK_SYNC's payload is re-encoded from `payload`). */
export function encodeGossip(message: DecodedGossip): Uint8Array {
  switch (message.kind) {
    case "networkEvent":
      return envelope(MessageType.NETWORK_EVENT, toBinary(NetworkEventSchema, message.event));
    case "tableEvent":
      return envelope(MessageType.TABLE_EVENT, toBinary(TableEventSchema, message.event));
    case "nodeEvent":
      return envelope(MessageType.NODE_EVENT, toBinary(NodeEventSchema, message.event));
    case "pushPull":
      return envelope(MessageType.PUSH_PULL, toBinary(NetworkPushPullSchema, message.pushPull));
    case "bulkSync": {
      const bulkSync = create(BulkSyncMessageSchema, { ...message.bulkSync, payload: encodeGossip(message.payload) });
      return envelope(MessageType.BULK_SYNC, toBinary(BulkSyncMessageSchema, bulkSync));
    }
    case "compound": {
      const compound = create(CompoundMessageSchema, {
        messages: message.messages.map((m) => create(CompoundMessage_SimpleMessageSchema, { Payload: encodeGossip(m) })),
      });
      return envelope(MessageType.COMPOUND, toBinary(CompoundMessageSchema, compound));
    }
    case "unknown":
      return envelope(message.type as MessageType, message.data);
  }
}

/** GossipMessage{type, data} as bytes. */
export function envelope(type: MessageType, data: Uint8Array): Uint8Array {
  return toBinary(GossipMessageSchema, create(GossipMessageSchema, { type, data }));
}

function parse<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WireError) throw err;
    throw new WireError("malformed", `networkdb protobuf: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
