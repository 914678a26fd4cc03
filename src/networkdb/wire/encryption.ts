/**
 * memberlist's optional AES-GCM encryption and its keyring.
 *
 * Facts relied on (hashicorp/memberlist at 3d8438da, the revision Docker vendors):
 *  - security.go: an encrypted payload is [version:1][nonce:12][ciphertext][tag:16].
 *    Version 0 = AES-GCM with PKCS7 padding of the plaintext to a 16-byte
 *    multiple (always 1..16 pad bytes, each equal to the pad length); version 1
 *    = AES-GCM without padding. The AES variant follows the key size
 *    (16/24/32 bytes = AES-128/192/256). The nonce is random. The minimum
 *    length accepted is encryptedLength(vsn, 0): 45 bytes for version 0,
 *    29 for version 1. Decryption tries every installed key in turn.
 *  - net.go encryptionVersion(): ProtocolVersion 1 sends version 0, every
 *    later protocol version (Docker's 2 included) sends version 1. Receivers
 *    accept both.
 *  - net.go rawSendMsgPacket / ingestPacket (UDP): the WHOLE datagram is the
 *    encrypted payload, with NO message-type byte in front, and no additional
 *    authenticated data. Encryption is the outermost layer: it covers the
 *    hasCrc/compress/compound layers. With GossipVerifyIncoming off, a
 *    datagram that fails to decrypt is processed as plaintext.
 *  - net.go encryptLocalState / decryptRemoteState (TCP): the stream is
 *    [0x0a encryptMsg][uint32 big-endian length of the encrypted payload]
 *    [encrypted payload], and those first 5 bytes are the GCM additional
 *    authenticated data. A length above 10 MiB (maxPushStateBytes) is
 *    refused before reading. The plaintext is what would have been sent
 *    unencrypted (normally a compress message).
 *  - keyring.go: keys must be 16, 24 or 32 bytes; the primary key (used to
 *    encrypt) is always first in the key list; adding a known key is a no-op;
 *    the primary key cannot be removed.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ByteWriter } from "./byte-writer.js";
import { WireError } from "./errors.js";
import { MaxPushStateBytes, MessageType } from "./message-types.js";

/** Encryption versions memberlist understands. */
export type EncryptionVersion = 0 | 1;

export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;
const VERSION_SIZE = 1;
const BLOCK_SIZE = 16;
const MAX_ENCRYPTION_VERSION = 1;
/** Bytes before the encrypted payload in a TCP stream: type byte + uint32 length. */
export const STREAM_ENCRYPT_HEADER_SIZE = 5;

/** The encryption version memberlist sends for a given protocol version. */
export function encryptionVersionFor(protocolVersion: number): EncryptionVersion {
  return protocolVersion <= 1 ? 0 : 1;
}

/** Size of the encrypted payload for a plaintext of `plainLength` bytes. */
export function encryptedLength(vsn: EncryptionVersion, plainLength: number): number {
  if (vsn >= 1) return VERSION_SIZE + NONCE_SIZE + plainLength + TAG_SIZE;
  const padding = BLOCK_SIZE - (plainLength % BLOCK_SIZE);
  return VERSION_SIZE + NONCE_SIZE + plainLength + padding + TAG_SIZE;
}

/** Worst-case bytes encryption adds (45 for version 0, 29 for version 1): a sender's UDP budget shrinks by this. */
export function encryptOverhead(vsn: EncryptionVersion): number {
  return vsn === 0 ? 45 : 29;
}

/** Throws unless `key` is a valid AES key size for memberlist. */
export function validateKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new WireError("invalid-value", `key size must be 16, 24 or 32 bytes, got ${key.length}`);
  }
}

/**
 * The set of keys a node accepts, with one primary key used for sending.
 * `keys` always lists the primary key first, as memberlist's GetKeys does.
 */
export class Keyring {
  private list: Uint8Array[] = [];

  /** Install `keys`, with `primaryKey` (default: the first of `keys`) as the primary one. */
  constructor(keys: readonly Uint8Array[] = [], primaryKey?: Uint8Array) {
    const primary = primaryKey ?? keys[0];
    if (primary === undefined) return;
    this.addKey(primary);
    for (const k of keys) this.addKey(k);
  }

  /** Installed keys, primary first. */
  get keys(): readonly Uint8Array[] {
    return this.list;
  }

  /** The key used to encrypt, or undefined when the keyring is empty. */
  get primaryKey(): Uint8Array | undefined {
    return this.list[0];
  }

  /** Install a key (a copy is kept); the first key installed becomes primary. Adding a known key does nothing. */
  addKey(key: Uint8Array): void {
    validateKey(key);
    if (this.indexOf(key) >= 0) return;
    this.list.push(key.slice());
  }

  /** Make an installed key the primary key. */
  useKey(key: Uint8Array): void {
    const i = this.indexOf(key);
    if (i < 0) throw new WireError("invalid-value", "requested key is not in the keyring");
    const [k] = this.list.splice(i, 1);
    this.list.unshift(k!);
  }

  /** Remove a secondary key; removing the primary key is refused. */
  removeKey(key: Uint8Array): void {
    const i = this.indexOf(key);
    if (i === 0) throw new WireError("invalid-value", "removing the primary key is not allowed");
    if (i > 0) this.list.splice(i, 1);
  }

  private indexOf(key: Uint8Array): number {
    return this.list.findIndex((k) => bytesEqual(k, key));
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function gcmAlgorithm(key: Uint8Array): "aes-128-gcm" | "aes-192-gcm" | "aes-256-gcm" {
  validateKey(key);
  return key.length === 16 ? "aes-128-gcm" : key.length === 24 ? "aes-192-gcm" : "aes-256-gcm";
}

export interface EncryptOptions {
  /** Fixed 12-byte nonce, for tests only: memberlist always uses a random one. */
  nonce?: Uint8Array;
}

/**
 * Encrypt `plain` with `key` as memberlist's encryptPayload does:
 * [vsn][nonce][AES-GCM(plain (+PKCS7 padding for vsn 0), aad)][tag].
 */
export function encryptPayload(
  vsn: EncryptionVersion,
  key: Uint8Array,
  plain: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
  options: EncryptOptions = {},
): Uint8Array {
  const nonce = options.nonce ?? randomBytes(NONCE_SIZE);
  if (nonce.length !== NONCE_SIZE) throw new WireError("invalid-value", `nonce must be ${NONCE_SIZE} bytes`);
  let source = plain;
  if (vsn === 0) {
    const pad = BLOCK_SIZE - (plain.length % BLOCK_SIZE);
    source = new Uint8Array(plain.length + pad);
    source.set(plain);
    source.fill(pad, plain.length);
  }
  const cipher = createCipheriv(gcmAlgorithm(key), key, nonce, { authTagLength: TAG_SIZE });
  cipher.setAAD(aad);
  const body = cipher.update(source);
  const final = cipher.final();
  const tag = cipher.getAuthTag();
  const w = new ByteWriter(encryptedLength(vsn, plain.length));
  w.u8(vsn);
  w.bytes(nonce);
  w.bytes(body);
  w.bytes(final);
  w.bytes(tag);
  return w.finish();
}

/**
 * Decrypt an encrypted payload with the first of `keys` that authenticates it
 * (memberlist's decryptPayload). Throws a "decrypt" WireError for an unknown
 * version, a payload shorter than the minimum, or when no key authenticates
 * the ciphertext with `aad` (wrong key or tampering).
 */
export function decryptPayload(
  keys: readonly Uint8Array[],
  payload: Uint8Array,
  aad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  if (payload.length === 0) throw new WireError("decrypt", "cannot decrypt an empty payload");
  const vsn = payload[0]!;
  if (vsn > MAX_ENCRYPTION_VERSION) throw new WireError("decrypt", `unsupported encryption version ${vsn}`);
  if (payload.length < encryptedLength(vsn as EncryptionVersion, 0)) {
    throw new WireError("decrypt", `payload is too small to decrypt: ${payload.length}`);
  }
  const nonce = payload.subarray(VERSION_SIZE, VERSION_SIZE + NONCE_SIZE);
  const ciphertext = payload.subarray(VERSION_SIZE + NONCE_SIZE, payload.length - TAG_SIZE);
  const tag = payload.subarray(payload.length - TAG_SIZE);
  for (const key of keys) {
    const plain = tryDecrypt(key, nonce, ciphertext, tag, aad);
    if (plain === undefined) continue;
    return vsn === 0 ? removePkcs7(plain) : plain;
  }
  throw new WireError("decrypt", "no installed key could decrypt the message");
}

function tryDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Uint8Array | undefined {
  const decipher = createDecipheriv(gcmAlgorithm(key), key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const head = decipher.update(ciphertext);
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    // The tag does not authenticate: not this key's message (the caller tries the next key).
    // Only final() is guarded: a key of a bad length is a local bug, and must throw.
    return undefined;
  }
  if (tail.length === 0) return new Uint8Array(head.buffer, head.byteOffset, head.length);
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

/** Strip PKCS7 padding. memberlist trusts the last byte blindly; we refuse an impossible pad instead of crashing. */
function removePkcs7(plain: Uint8Array): Uint8Array {
  const pad = plain[plain.length - 1];
  if (pad === undefined || pad === 0 || pad > BLOCK_SIZE || pad > plain.length) {
    throw new WireError("decrypt", "invalid PKCS7 padding");
  }
  return plain.subarray(0, plain.length - pad);
}

/** Encrypt a whole UDP datagram with the keyring's primary key (no type byte, no AAD). */
export function encryptPacket(
  keyring: Keyring,
  plain: Uint8Array,
  vsn: EncryptionVersion = 1,
  options: EncryptOptions = {},
): Uint8Array {
  const key = keyring.primaryKey;
  if (key === undefined) throw new WireError("invalid-value", "keyring has no primary key");
  return encryptPayload(vsn, key, plain, new Uint8Array(0), options);
}

/** Decrypt a whole UDP datagram with any installed key. */
export function decryptPacket(keyring: Keyring, datagram: Uint8Array): Uint8Array {
  return decryptPayload(keyring.keys, datagram);
}

/** Encrypt stream bytes: [0x0a][uint32 BE length][payload], the 5-byte header being the AAD. */
export function encryptStream(
  keyring: Keyring,
  plain: Uint8Array,
  vsn: EncryptionVersion = 1,
  options: EncryptOptions = {},
): Uint8Array {
  const key = keyring.primaryKey;
  if (key === undefined) throw new WireError("invalid-value", "keyring has no primary key");
  const header = new Uint8Array(STREAM_ENCRYPT_HEADER_SIZE);
  header[0] = MessageType.Encrypt;
  new DataView(header.buffer).setUint32(1, encryptedLength(vsn, plain.length));
  const payload = encryptPayload(vsn, key, plain, header, options);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
  return out;
}

/**
 * Decrypt an encrypted stream frame that starts at `buf[0]` (which must be 0x0a).
 * Returns the plaintext and the number of bytes the frame used. Throws
 * "truncated" when `buf` does not yet hold the whole frame (read more and retry),
 * "too-large" when the announced length exceeds `maxBytes` (default 10 MiB).
 */
export function decryptStream(
  keyring: Keyring,
  buf: Uint8Array,
  maxBytes = MaxPushStateBytes,
): { plain: Uint8Array; end: number } {
  if (buf.length < STREAM_ENCRYPT_HEADER_SIZE) throw new WireError("truncated", "encrypted stream header is incomplete");
  if (buf[0] !== MessageType.Encrypt) throw new WireError("malformed", "stream is not encrypted");
  const length = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
  if (length > maxBytes) throw new WireError("too-large", `remote state of ${length} bytes exceeds the ${maxBytes}-byte limit`);
  const end = STREAM_ENCRYPT_HEADER_SIZE + length;
  if (buf.length < end) throw new WireError("truncated", "encrypted stream payload is incomplete");
  const plain = decryptPayload(keyring.keys, buf.subarray(STREAM_ENCRYPT_HEADER_SIZE, end), buf.subarray(0, STREAM_ENCRYPT_HEADER_SIZE));
  return { plain, end };
}
