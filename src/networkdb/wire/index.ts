/**
 * Public API of cnm's NetworkDB wire layer: hashicorp/memberlist's packet and
 * stream formats (ProtocolVersion 2, as vendored by Docker) and Docker
 * NetworkDB's protobuf messages, byte-compatible with Go peers.
 */
export { WireError, isWireError, type WireErrorCode } from "./errors.js";
export {
  MessageType,
  messageTypeName,
  CompressionAlgo,
  NodeState,
  ProtocolVersionMin,
  ProtocolVersion2Compatible,
  ProtocolVersionMax,
  ProtocolVersionCrc,
  DefaultVsn,
  MetaMaxSize,
  MaxPushStateBytes,
  UdpBufferSize,
  HasCrcHeaderSize,
  CompoundHeaderOverhead,
  CompoundOverhead,
  MaxCompoundParts,
} from "./message-types.js";
// CRC-32/IEEE, the checksum of memberlist's hasCrc layer (Go's crc32.ChecksumIEEE):
// node:zlib has it since Node 20.15, so no table of our own.
export { crc32 } from "node:zlib";
/** Go's base64.StdEncoding, refusing what Go refuses at the byte Go names (NetworkDB keys and entry values). */
export { Base64Error, decodeStdBase64, encodeStdBase64 } from "./go-base64.js";
export { lzwEncode, lzwDecode, DEFAULT_MAX_LZW_OUTPUT, type LzwStats, type LzwDecodeOptions } from "./lzw.js";
export { MsgpackReader, MsgpackWriter } from "./msgpack.js";
export {
  type Ping,
  type IndirectPing,
  type Ack,
  type Nack,
  type Suspect,
  type Dead,
  type Alive,
  type PushPullHeader,
  type PushNodeState,
  type UserMsgHeader,
  type Compress,
  type ErrResp,
  type StructCodec,
  pingCodec,
  indirectPingCodec,
  ackCodec,
  nackCodec,
  suspectCodec,
  deadCodec,
  aliveCodec,
  pushPullHeaderCodec,
  pushNodeStateCodec,
  userMsgHeaderCodec,
  compressCodec,
  errRespCodec,
  encodeStruct,
  decodeStruct,
} from "./structs.js";
export { encodeCompound, splitCompound, type CompoundParts } from "./compound.js";
export { compressMessage, decompressBody, decompressStruct, type Decompressed, type DecompressOptions } from "./compress.js";
export {
  decodePacket,
  encodeMessage,
  encodePacket,
  withCrc,
  leafMessages,
  type PacketMessage,
  type CompoundPacket,
  type CompressPacket,
  type HasCrcPacket,
  type SimpleMessageType,
  type PacketDecodeOptions,
  type PacketEncodeOptions,
  type DecodedPacket,
} from "./packet.js";
export {
  decodeStream,
  encodeStream,
  encodeStreamMessage,
  type StreamMessage,
  type StreamEncodeOptions,
  type StreamDecodeOptions,
  type DecodedStream,
} from "./stream.js";
export {
  Keyring,
  validateKey,
  encryptPayload,
  decryptPayload,
  encryptPacket,
  decryptPacket,
  encryptStream,
  decryptStream,
  encryptedLength,
  encryptOverhead,
  encryptionVersionFor,
  NONCE_SIZE,
  TAG_SIZE,
  STREAM_ENCRYPT_HEADER_SIZE,
  type EncryptionVersion,
  type EncryptOptions,
} from "./encryption.js";
/** NetworkDB protobuf messages (generated), under a namespace: their MessageType is not memberlist's. */
export * as pb from "../proto/gen/networkdb_pb.js";
export { decodeGossip, encodeGossip, envelope, type DecodedGossip } from "../proto/gossip.js";
