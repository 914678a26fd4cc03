/**
 * TCP stream framing: what memberlist writes on a stream connection.
 *
 * One frame per direction (net.go rawSendMsgStream / readStream):
 *  - [encrypted]: 0x0a, uint32 BE length, AES-GCM payload (see encryption.ts);
 *  - [compressed]: 0x09 + msgpack {Algo, Buf}. Senders with compression
 *    enabled (Docker's) ALWAYS compress a stream, even when it grows;
 *  - the plain message, one of:
 *    push/pull  0x06, {Join, Nodes, UserStateLen}, Nodes x pushNodeState map,
 *               then UserStateLen raw bytes (networkdb's GossipMessage PUSH_PULL);
 *    user       0x08, {UserMsgLen}, then UserMsgLen raw bytes (networkdb bulk sync);
 *    ping/ack   0x00/0x02 + map (memberlist's TCP fallback probe and its answer);
 *    err        0x0d + {Error} (sent back when a stream cannot be read).
 * A push/pull is answered on the same connection with the responder's own
 * push/pull frame (echoing Join); a user message gets no answer bytes.
 */
import { ByteWriter } from "./byte-writer.js";
import { compressMessage, decompressStruct } from "./compress.js";
import { decryptStream, encryptStream, type EncryptionVersion, type Keyring } from "./encryption.js";
import { WireError } from "./errors.js";
import { MaxPushStateBytes, MessageType, messageTypeName } from "./message-types.js";
import { MsgpackReader, MsgpackWriter } from "./msgpack.js";
import {
  ackCodec,
  compressCodec,
  decodeStruct,
  errRespCodec,
  pingCodec,
  pushNodeStateCodec,
  pushPullHeaderCodec,
  userMsgHeaderCodec,
  type Ack,
  type ErrResp,
  type Ping,
  type PushNodeState,
} from "./structs.js";

/** The message a stream frame carries. Lengths and counts of the headers are derived from the data. */
export type StreamMessage =
  | {
      type: "pushPull";
      /** True for the exchange made when joining, false for periodic anti-entropy; a responder echoes it. */
      join: boolean;
      nodes: PushNodeState[];
      /** The delegate's (networkdb's) state: raw bytes, not msgpack-wrapped; empty when absent. */
      userState: Uint8Array;
    }
  | { type: "user"; payload: Uint8Array }
  | { type: "ping"; body: Ping }
  | { type: "ack"; body: Ack }
  | { type: "err"; body: ErrResp };

/** Encode the plain message (before compression/encryption). */
export function encodeStreamMessage(message: StreamMessage): Uint8Array {
  const w = new MsgpackWriter(new ByteWriter(256));
  switch (message.type) {
    case "pushPull":
      w.out.u8(MessageType.PushPull);
      pushPullHeaderCodec.encode(w, {
        Join: message.join,
        Nodes: message.nodes.length,
        UserStateLen: message.userState.length,
      });
      for (const node of message.nodes) pushNodeStateCodec.encode(w, node);
      w.out.bytes(message.userState);
      break;
    case "user":
      w.out.u8(MessageType.User);
      userMsgHeaderCodec.encode(w, { UserMsgLen: message.payload.length });
      w.out.bytes(message.payload);
      break;
    case "ping":
      w.out.u8(MessageType.Ping);
      pingCodec.encode(w, message.body);
      break;
    case "ack":
      w.out.u8(MessageType.Ack);
      ackCodec.encode(w, message.body);
      break;
    case "err":
      w.out.u8(MessageType.Err);
      errRespCodec.encode(w, message.body);
      break;
  }
  return w.out.finish();
}

export interface StreamEncodeOptions {
  /** Compress the frame (memberlist EnableCompression: always, even if larger). Default true. */
  compress?: boolean;
  /** Encrypt with the keyring's primary key. */
  keyring?: Keyring;
  /** Encryption version when encrypting (default 1, what protocol version 2 sends). */
  encryptionVersion?: EncryptionVersion;
}

/** Build the bytes memberlist would write on a stream for `message`. */
export function encodeStream(message: StreamMessage, options: StreamEncodeOptions = {}): Uint8Array {
  let out = encodeStreamMessage(message);
  if (options.compress !== false) out = compressMessage(out);
  if (options.keyring !== undefined) out = encryptStream(options.keyring, out, options.encryptionVersion ?? 1);
  return out;
}

export interface StreamDecodeOptions {
  /** Keys for encrypted streams. Without a keyring, an encrypted stream is refused. */
  keyring?: Keyring;
  /** With a keyring: when false, an unencrypted stream is accepted (GossipVerifyIncoming). Default true. */
  verifyIncoming?: boolean;
  /** Cap on encrypted length, decompressed size, user state and user message lengths (default 10 MiB). */
  maxBytes?: number;
}

export interface DecodedStream {
  message: StreamMessage;
  encrypted: boolean;
  compressed: boolean;
  /** The LZW bytes as received, when compressed. */
  lzw?: Uint8Array;
  /** Bytes of the input this frame used; anything after it belongs to a later frame. */
  bytesUsed: number;
}

/**
 * Decode the frame at the start of `buf` (the bytes read so far from a stream).
 * Throws a WireError "truncated" when `buf` ends before the frame does: read
 * more and call again. Every other WireError means the stream is bad. Once
 * the frame's bytes are all present (after decryption or decompression), a
 * short inner structure is "malformed", not "truncated".
 */
export function decodeStream(buf: Uint8Array, options: StreamDecodeOptions = {}): DecodedStream {
  const maxBytes = options.maxBytes ?? MaxPushStateBytes;
  if (buf.length === 0) throw new WireError("truncated", "stream is empty");

  let frame = buf;
  let encrypted = false;
  let bytesUsed: number | undefined;
  if (buf[0] === MessageType.Encrypt) {
    if (options.keyring === undefined) {
      throw new WireError("decrypt", "remote state is encrypted and encryption is not configured");
    }
    const { plain, end } = decryptStream(options.keyring, buf, maxBytes);
    frame = plain;
    encrypted = true;
    bytesUsed = end;
  } else if (options.keyring !== undefined && options.verifyIncoming !== false) {
    throw new WireError("decrypt", "encryption is configured but remote state is not encrypted");
  }

  if (frame.length === 0) throw new WireError("malformed", "encrypted stream frame is empty");
  if (frame[0] === MessageType.Compress) {
    const body = frame.subarray(1);
    // The map itself may still be arriving; once it is complete, a bad LZW stream is just bad.
    const { value, end } = completeOrMalformed(encrypted, () => decodeStruct(compressCodec, body));
    const { buf: lzw, payload } = completeOrMalformed(true, () => decompressStruct(value, { maxOutput: maxBytes }));
    if (payload.length === 0) throw new WireError("malformed", "compressed stream frame is empty");
    if (payload[0] === MessageType.Compress || payload[0] === MessageType.Encrypt) {
      throw new WireError("malformed", `unexpected ${messageTypeName(payload[0]!)} inside a compressed stream`);
    }
    const { message } = completeOrMalformed(true, () => parseStreamMessage(payload, maxBytes));
    return { message, encrypted, compressed: true, lzw: lzw.slice(), bytesUsed: bytesUsed ?? 1 + end };
  }
  const { message, end } = completeOrMalformed(encrypted, () => parseStreamMessage(frame, maxBytes));
  return { message, encrypted, compressed: false, bytesUsed: bytesUsed ?? end };
}

/** Run `parse`; if its input was already complete, a "truncated" error really means "malformed". */
function completeOrMalformed<T>(complete: boolean, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (complete && err instanceof WireError && err.code === "truncated") {
      throw new WireError("malformed", err.message, { cause: err });
    }
    throw err;
  }
}

/** Parse a plain stream message (type byte first); returns it and the offset after it. */
function parseStreamMessage(buf: Uint8Array, maxBytes: number): { message: StreamMessage; end: number } {
  const r = new MsgpackReader(buf, 1);
  const type = buf[0]!;
  switch (type) {
    case MessageType.PushPull: {
      const header = pushPullHeaderCodec.decode(r);
      if (header.UserStateLen > maxBytes) {
        throw new WireError("too-large", `push/pull user state of ${header.UserStateLen} bytes exceeds ${maxBytes}`);
      }
      if (header.Nodes > maxBytes) throw new WireError("too-large", `push/pull announces ${header.Nodes} nodes`);
      const nodes: PushNodeState[] = [];
      for (let i = 0; i < header.Nodes; i++) nodes.push(pushNodeStateCodec.decode(r));
      const userState = takeBytes(buf, r.pos, header.UserStateLen, "push/pull user state");
      return { message: { type: "pushPull", join: header.Join, nodes, userState }, end: r.pos + header.UserStateLen };
    }
    case MessageType.User: {
      const header = userMsgHeaderCodec.decode(r);
      if (header.UserMsgLen > maxBytes) {
        throw new WireError("too-large", `user message of ${header.UserMsgLen} bytes exceeds ${maxBytes}`);
      }
      const payload = takeBytes(buf, r.pos, header.UserMsgLen, "user message");
      return { message: { type: "user", payload }, end: r.pos + header.UserMsgLen };
    }
    case MessageType.Ping:
      return { message: { type: "ping", body: pingCodec.decode(r) }, end: r.pos };
    case MessageType.Ack:
      return { message: { type: "ack", body: ackCodec.decode(r) }, end: r.pos };
    case MessageType.Err:
      return { message: { type: "err", body: errRespCodec.decode(r) }, end: r.pos };
    default:
      throw new WireError("malformed", `message type ${messageTypeName(type)} is not valid on a stream`);
  }
}

function takeBytes(buf: Uint8Array, offset: number, length: number, what: string): Uint8Array {
  if (offset + length > buf.length) throw new WireError("truncated", `input ends inside the ${what}`);
  return buf.slice(offset, offset + length);
}
