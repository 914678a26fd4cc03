/**
 * memberlist message types and protocol constants, as spoken by the
 * hashicorp/memberlist revision Docker vendors (3d8438da, ProtocolVersion 2).
 *
 * Facts from memberlist net.go/util.go/state.go at that revision and from the
 * captured traffic described in /work/shared/vectors/README.md.
 */

/** First byte of every memberlist message (net.go `messageType`, iota order). */
export const MessageType = {
  Ping: 0,
  IndirectPing: 1,
  Ack: 2,
  Suspect: 3,
  Alive: 4,
  Dead: 5,
  PushPull: 6,
  Compound: 7,
  User: 8,
  Compress: 9,
  /** Only ever seen as the first byte of an encrypted TCP stream: a UDP datagram has no type byte when encrypted. */
  Encrypt: 10,
  Nack: 11,
  HasCrc: 12,
  Err: 13,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Human-readable name of a message type, for errors and logs. */
export function messageTypeName(type: number): string {
  for (const [name, value] of Object.entries(MessageType)) {
    if (value === type) return name;
  }
  return `unknown(${type})`;
}

/** `compress.Algo` values: memberlist only knows LZW. */
export const CompressionAlgo = { Lzw: 0 } as const;

/** `pushNodeState.State` values (state.go `nodeStateType`; this revision has no "left" state). */
export const NodeState = { Alive: 0, Suspect: 1, Dead: 2 } as const;

/** Protocol versions this memberlist understands; it speaks ProtocolVersion2Compatible by default. */
export const ProtocolVersionMin = 1;
export const ProtocolVersion2Compatible = 2;
export const ProtocolVersionMax = 5;
/** Receivers at or above this version understand the hasCrc wrapper. */
export const ProtocolVersionCrc = 5;

/** The `Vsn` bytes Docker's nodes advertise: pmin, pmax, pcur, dmin, dmax, dcur. */
export const DefaultVsn: readonly number[] = [1, 5, 2, 0, 0, 0];

/** Largest node metadata memberlist accepts (net.go MetaMaxSize). */
export const MetaMaxSize = 512;
/** Largest push/pull state memberlist reads from a stream (net.go maxPushStateBytes, 10 MiB). */
export const MaxPushStateBytes = 10 * 1024 * 1024;
/** Default UDP datagram budget (config.go UDPBufferSize); Docker's networkdb also uses 1400. */
export const UdpBufferSize = 1400;

/** Byte sizes of the fixed headers. */
export const HasCrcHeaderSize = 5; // type + uint32 BE CRC
export const CompoundHeaderOverhead = 2; // type + count (memberlist's own estimate)
export const CompoundOverhead = 2; // uint16 length per part
/** A compound holds at most 255 parts: the count is one byte. */
export const MaxCompoundParts = 255;
