/**
 * Counters for diagnostics: what this node sent and received, per memberlist
 * message type and per channel (packets, streams), plus why input was dropped.
 */
import { MessageType, messageTypeName } from "../wire/index.js";

/** Counts and bytes per message type name ("ping", "alive", "user", ...). */
export type PerType = Record<string, { count: number; bytes: number }>;

export interface MemberlistStats {
  /** Leaf messages sent in packets, per type (bytes: the message before compression/CRC/encryption). */
  messagesSent: PerType;
  /** Leaf messages received in packets, per type. */
  messagesReceived: PerType;
  /** Datagrams and their on-wire bytes. */
  packetsSent: number;
  packetBytesSent: number;
  packetsReceived: number;
  packetBytesReceived: number;
  /** Stream frames per kind ("pushPull", "user", "ping", "ack", "err"), sent and received. */
  streamMessagesSent: PerType;
  streamMessagesReceived: PerType;
  streamsOpened: number;
  streamsAccepted: number;
  streamBytesSent: number;
  streamBytesReceived: number;
  /** Input dropped: undecryptable, bad CRC, malformed, unknown type. */
  decryptErrors: number;
  checksumErrors: number;
  decodeErrors: number;
  streamErrors: number;
}

export function newStats(): MemberlistStats {
  return {
    messagesSent: {},
    messagesReceived: {},
    packetsSent: 0,
    packetBytesSent: 0,
    packetsReceived: 0,
    packetBytesReceived: 0,
    streamMessagesSent: {},
    streamMessagesReceived: {},
    streamsOpened: 0,
    streamsAccepted: 0,
    streamBytesSent: 0,
    streamBytesReceived: 0,
    decryptErrors: 0,
    checksumErrors: 0,
    decodeErrors: 0,
    streamErrors: 0,
  };
}

/** Add one message of `type` and `bytes` to a per-type table. */
export function count(table: PerType, type: string, bytes: number): void {
  const e = table[type];
  if (e === undefined) table[type] = { count: 1, bytes };
  else {
    e.count++;
    e.bytes += bytes;
  }
}

/** Count the leaf messages of an encoded plain message (a compound's parts one by one). */
export function countEncoded(table: PerType, msg: Uint8Array): void {
  if (msg.length === 0) return;
  if (msg[0] !== MessageType.Compound || msg.length < 2) {
    count(table, typeName(msg[0]!), msg.length);
    return;
  }
  const n = msg[1]!;
  let offset = 2 + 2 * n;
  for (let i = 0; i < n && 3 + 2 * i < msg.length; i++) {
    const len = (msg[2 + 2 * i]! << 8) | msg[3 + 2 * i]!;
    if (offset + len > msg.length) break;
    if (len > 0) count(table, typeName(msg[offset]!), len);
    offset += len;
  }
}

/** Names of the message types 0..255, computed once: this runs for every message. */
const TYPE_NAMES: string[] = Array.from({ length: 256 }, (_, type) => {
  const name = messageTypeName(type);
  return name.charAt(0).toLowerCase() + name.slice(1);
});

/** A message type's name as used in the stats tables ("ping", "indirectPing", "hasCrc" ...). */
export function typeName(type: number): string {
  return TYPE_NAMES[type & 0xff]!;
}

/** A deep copy, so callers can keep a snapshot. */
export function cloneStats(s: MemberlistStats): MemberlistStats {
  return structuredClone(s);
}
