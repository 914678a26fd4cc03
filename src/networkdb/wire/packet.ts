/**
 * UDP datagrams: the layers memberlist wraps around its messages, decoded into
 * a tree and encoded back byte for byte.
 *
 * Receive order (net.go ingestPacket / handleCommand): [decrypt whole datagram
 * if a keyring is configured] -> [hasCrc: check CRC-32 of the rest] ->
 * type byte -> compress (decompress, then handle the inner message) /
 * compound (handle each part) / a single message. Send order
 * (rawSendMsgPacket) is the reverse: compress only if strictly smaller, then
 * hasCrc if the receiver speaks protocol >= 5, then encrypt.
 *
 * hasCrc is only valid as the outermost layer and pushPull/encrypt never
 * appear inside a datagram; memberlist rejects them there, and so do we.
 */
import { crc32 } from "node:zlib";
import { concatBytes } from "./byte-writer.js";
import { encodeCompound, splitCompound } from "./compound.js";
import { compressMessage, decompressBody } from "./compress.js";
import { decryptPacket, encryptPacket, type EncryptionVersion, type Keyring } from "./encryption.js";
import { WireError } from "./errors.js";
import { DEFAULT_MAX_LZW_OUTPUT } from "./lzw.js";
import { HasCrcHeaderSize, MessageType, messageTypeName } from "./message-types.js";
import {
  ackCodec,
  aliveCodec,
  deadCodec,
  decodeStruct,
  encodeStruct,
  errRespCodec,
  indirectPingCodec,
  nackCodec,
  pingCodec,
  suspectCodec,
  type Ack,
  type Alive,
  type Dead,
  type ErrResp,
  type IndirectPing,
  type Nack,
  type Ping,
  type StructCodec,
  type Suspect,
} from "./structs.js";

/** One memberlist message found in a datagram, with the layers around it kept as nodes. */
export type PacketMessage =
  | { type: "ping"; body: Ping }
  | { type: "indirectPing"; body: IndirectPing }
  | { type: "ack"; body: Ack }
  | { type: "nack"; body: Nack }
  | { type: "suspect"; body: Suspect }
  | { type: "alive"; body: Alive }
  | { type: "dead"; body: Dead }
  | { type: "err"; body: ErrResp }
  /** A delegate (networkdb) message: everything after the type byte, no length header. */
  | { type: "user"; payload: Uint8Array }
  | CompoundPacket
  | CompressPacket
  | HasCrcPacket;

export interface CompoundPacket {
  type: "compound";
  parts: PacketMessage[];
  /** When decoding: announced parts cut off by the end of the datagram (memberlist ignores them). */
  truncated?: number;
}

export interface CompressPacket {
  type: "compress";
  inner: PacketMessage;
  /** When decoding: the LZW bytes as received. Ignored when encoding (the inner message is recompressed). */
  buf?: Uint8Array;
}

export interface HasCrcPacket {
  type: "hasCrc";
  inner: PacketMessage;
  /** When decoding: the CRC as received (already verified). Ignored when encoding (it is recomputed). */
  crc?: number;
}

/** The message kinds that are a single msgpack map after the type byte. */
export type SimpleMessageType = "ping" | "indirectPing" | "ack" | "nack" | "suspect" | "alive" | "dead" | "err";

// A table of heterogeneous codecs: each is only ever used with the body of its own
// message kind (the discriminant guarantees it), so erasing the body type is safe.
const erase = <T>(codec: StructCodec<T>): StructCodec<unknown> => codec as StructCodec<unknown>;
const SIMPLE: Record<SimpleMessageType, { code: MessageType; codec: StructCodec<unknown> }> = {
  ping: { code: MessageType.Ping, codec: erase(pingCodec) },
  indirectPing: { code: MessageType.IndirectPing, codec: erase(indirectPingCodec) },
  ack: { code: MessageType.Ack, codec: erase(ackCodec) },
  nack: { code: MessageType.Nack, codec: erase(nackCodec) },
  suspect: { code: MessageType.Suspect, codec: erase(suspectCodec) },
  alive: { code: MessageType.Alive, codec: erase(aliveCodec) },
  dead: { code: MessageType.Dead, codec: erase(deadCodec) },
  err: { code: MessageType.Err, codec: erase(errRespCodec) },
};

const SIMPLE_BY_CODE = new Map<number, SimpleMessageType>(
  (Object.entries(SIMPLE) as [SimpleMessageType, { code: number }][]).map(([name, { code }]) => [code, name]),
);

export interface PacketDecodeOptions {
  /** Decrypt the datagram with these keys first (memberlist with encryption enabled). */
  keyring?: Keyring;
  /**
   * With a keyring: when false, a datagram that does not decrypt is decoded as
   * plaintext (memberlist's GossipVerifyIncoming = false, used while rolling
   * out encryption). Default true.
   */
  verifyIncoming?: boolean;
  /** Cap on the total decompressed bytes in one datagram (default 10 MiB). */
  maxDecompressedBytes?: number;
  /** Cap on compound/compress nesting (default 4; Go peers never nest more than compress > compound). */
  maxDepth?: number;
}

export interface DecodedPacket {
  /** Whether the datagram was encrypted (decrypted with the keyring). */
  encrypted: boolean;
  message: PacketMessage;
}

/**
 * Decode one UDP datagram into its layers. Throws WireError for anything
 * memberlist would drop: bad CRC ("checksum"), bad framing or msgpack
 * ("malformed"/"truncated"), unknown compression ("unsupported"), oversized
 * decompression ("too-large"), undecryptable data ("decrypt").
 */
export function decodePacket(datagram: Uint8Array, options: PacketDecodeOptions = {}): DecodedPacket {
  let buf = datagram;
  let encrypted = false;
  if (options.keyring !== undefined) {
    try {
      buf = decryptPacket(options.keyring, datagram);
      encrypted = true;
    } catch (err) {
      // Not refused while encryption is being rolled out (memberlist's GossipVerifyIncoming=false): read as plaintext.
      if (options.verifyIncoming !== false) throw err;
    }
  }
  const budget = { decompressed: options.maxDecompressedBytes ?? DEFAULT_MAX_LZW_OUTPUT };
  const maxDepth = options.maxDepth ?? 4;

  if (buf.length >= HasCrcHeaderSize && buf[0] === MessageType.HasCrc) {
    const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
    const rest = buf.subarray(HasCrcHeaderSize);
    const actual = crc32(rest);
    if (actual !== expected) {
      throw new WireError("checksum", `invalid checksum: got ${hex32(actual)}, expected ${hex32(expected)}`);
    }
    return { encrypted, message: { type: "hasCrc", crc: expected, inner: decodeMessage(rest, 0, maxDepth, budget) } };
  }
  return { encrypted, message: decodeMessage(buf, 0, maxDepth, budget) };
}

/** Decode one complete message (type byte first), as memberlist's handleCommand does. */
function decodeMessage(buf: Uint8Array, depth: number, maxDepth: number, budget: { decompressed: number }): PacketMessage {
  if (buf.length === 0) throw new WireError("truncated", "empty message");
  const code = buf[0]!;
  const body = buf.subarray(1);
  const simple = SIMPLE_BY_CODE.get(code);
  if (simple !== undefined) {
    // Bytes after the map are ignored, as Go's decoder ignores them.
    const { value } = decodeStruct(SIMPLE[simple].codec, body);
    return { type: simple, body: value } as PacketMessage;
  }
  switch (code) {
    case MessageType.User:
      return { type: "user", payload: body.slice() };
    case MessageType.Compound: {
      if (depth >= maxDepth) throw new WireError("malformed", "messages nested too deeply");
      const { parts, truncated } = splitCompound(body);
      const decoded = parts.map((p) => decodeMessage(p, depth + 1, maxDepth, budget));
      return truncated > 0 ? { type: "compound", parts: decoded, truncated } : { type: "compound", parts: decoded };
    }
    case MessageType.Compress: {
      if (depth >= maxDepth) throw new WireError("malformed", "messages nested too deeply");
      const { buf: lzw, payload } = decompressBody(body, { maxOutput: budget.decompressed });
      budget.decompressed -= payload.length;
      return { type: "compress", buf: lzw.slice(), inner: decodeMessage(payload, depth + 1, maxDepth, budget) };
    }
    default:
      throw new WireError("malformed", `message type ${messageTypeName(code)} is not valid in a packet`);
  }
}

/**
 * Encode a message tree exactly as given: every compress node is recompressed
 * from its inner message, every hasCrc node gets a freshly computed CRC.
 * Decoding a Go datagram and encoding the result gives back the same bytes.
 */
export function encodeMessage(message: PacketMessage): Uint8Array {
  switch (message.type) {
    case "user":
      return concatBytes([Uint8Array.of(MessageType.User), message.payload]);
    case "compound":
      return encodeCompound(message.parts.map(encodeMessage));
    case "compress":
      return compressMessage(encodeMessage(message.inner));
    case "hasCrc":
      return withCrc(encodeMessage(message.inner));
    default: {
      const { code, codec } = SIMPLE[message.type];
      return concatBytes([Uint8Array.of(code), encodeStruct(codec, message.body)]);
    }
  }
}

/** Prefix a complete message with the hasCrc header: 0x0c + CRC-32/IEEE (big-endian) of the message. */
export function withCrc(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(HasCrcHeaderSize + message.length);
  out[0] = MessageType.HasCrc;
  new DataView(out.buffer).setUint32(1, crc32(message));
  out.set(message, HasCrcHeaderSize);
  return out;
}

export interface PacketEncodeOptions {
  /** Try LZW and keep it only if strictly smaller (memberlist EnableCompression; default true). */
  compress?: boolean;
  /** Add the hasCrc header (when the receiver's protocol max is >= 5; default false). */
  crc?: boolean;
  /** Encrypt the datagram with the keyring's primary key. */
  keyring?: Keyring;
  /** Encryption version when encrypting (default 1, what protocol version 2 sends). */
  encryptionVersion?: EncryptionVersion;
}

/**
 * Build a datagram the way memberlist's rawSendMsgPacket does from a plain
 * message (a single message or a compound, already encoded or as a tree):
 * compress if that makes it strictly smaller, then hasCrc, then encrypt.
 */
export function encodePacket(message: PacketMessage | Uint8Array, options: PacketEncodeOptions = {}): Uint8Array {
  let out = message instanceof Uint8Array ? message : encodeMessage(message);
  if (options.compress !== false) {
    const compressed = compressMessage(out);
    if (compressed.length < out.length) out = compressed;
  }
  if (options.crc === true) out = withCrc(out);
  if (options.keyring !== undefined) out = encryptPacket(options.keyring, out, options.encryptionVersion ?? 1);
  return out;
}

/** The leaf messages of a tree in order (compound parts flattened, compress and hasCrc unwrapped). */
export function leafMessages(message: PacketMessage): PacketMessage[] {
  switch (message.type) {
    case "compound":
      return message.parts.flatMap(leafMessages);
    case "compress":
    case "hasCrc":
      return leafMessages(message.inner);
    default:
      return [message];
  }
}

function hex32(v: number): string {
  return v.toString(16).padStart(8, "0");
}
