/**
 * memberlist AES-GCM encryption: layouts on UDP and TCP, both versions, all
 * key sizes, keyring rotation, and rejection of wrong keys and tampering.
 */
import assert from "node:assert/strict";
import { createDecipheriv, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  Keyring,
  MessageType,
  NONCE_SIZE,
  TAG_SIZE,
  WireError,
  decodePacket,
  decodeStream,
  decryptPayload,
  decryptStream,
  encodeMessage,
  encodePacket,
  encodeStream,
  encryptPayload,
  encryptStream,
  encryptedLength,
  encryptionVersionFor,
  type EncryptionVersion,
  type PacketMessage,
  type StreamMessage,
} from "../../src/networkdb/wire/index.js";

const key16 = new Uint8Array(randomBytes(16));
const key24 = new Uint8Array(randomBytes(24));
const key32 = new Uint8Array(randomBytes(32));
const ping: PacketMessage = { type: "ping", body: { SeqNo: 3, Node: "node-a" } };
const user: StreamMessage = { type: "user", payload: new TextEncoder().encode("bulk sync bytes") };

function isDecryptError(e: unknown): boolean {
  return e instanceof WireError && e.code === "decrypt";
}

describe("encryption payload", () => {
  it("lays out [version][12-byte nonce][ciphertext][16-byte tag] and round-trips for every key size and version", () => {
    for (const key of [key16, key24, key32]) {
      for (const vsn of [0, 1] as EncryptionVersion[]) {
        for (const len of [0, 1, 15, 16, 17, 1000]) {
          const plain = new Uint8Array(randomBytes(len));
          const enc = encryptPayload(vsn, key, plain);
          assert.equal(enc[0], vsn);
          assert.equal(enc.length, encryptedLength(vsn, len));
          assert.deepEqual(decryptPayload([key], enc), plain);
        }
      }
    }
    // Version 1 adds exactly 29 bytes; version 0 pads to a 16-byte multiple (a full block when aligned).
    assert.equal(encryptedLength(1, 100), 100 + 29);
    assert.equal(encryptedLength(0, 16), 1 + 12 + 32 + 16);
    assert.equal(encryptionVersionFor(1), 0);
    assert.equal(encryptionVersionFor(2), 1);
  });

  it("is plain AES-GCM: decryptable with node:crypto directly (version 1, AAD authenticated)", () => {
    const nonce = new Uint8Array(NONCE_SIZE).fill(7);
    const aad = Uint8Array.of(1, 2, 3);
    const enc = encryptPayload(1, key16, Uint8Array.of(42, 43), aad, { nonce });
    assert.deepEqual(enc.subarray(1, 13), nonce);
    const d = createDecipheriv("aes-128-gcm", key16, nonce);
    d.setAAD(aad);
    d.setAuthTag(enc.subarray(enc.length - TAG_SIZE));
    const plain = Buffer.concat([d.update(enc.subarray(13, enc.length - TAG_SIZE)), d.final()]);
    assert.deepEqual([...plain], [42, 43]);
  });

  it("uses PKCS7 padding in version 0", () => {
    const nonce = new Uint8Array(NONCE_SIZE);
    const enc = encryptPayload(0, key16, Uint8Array.of(9, 9, 9), new Uint8Array(0), { nonce });
    const d = createDecipheriv("aes-128-gcm", key16, nonce);
    d.setAuthTag(enc.subarray(enc.length - TAG_SIZE));
    const padded = Buffer.concat([d.update(enc.subarray(13, enc.length - TAG_SIZE)), d.final()]);
    assert.deepEqual([...padded], [9, 9, 9, ...new Array(13).fill(13)]);
  });

  it("rejects wrong keys, tampering, wrong AAD, unknown versions and short payloads", () => {
    const enc = encryptPayload(1, key16, Uint8Array.of(1, 2, 3), Uint8Array.of(5));
    assert.throws(() => decryptPayload([key32], enc, Uint8Array.of(5)), isDecryptError);
    assert.throws(() => decryptPayload([key16], enc, Uint8Array.of(6)), isDecryptError);
    for (let i = 1; i < enc.length; i++) {
      const bad = enc.slice();
      bad[i]! ^= 0x40;
      assert.throws(() => decryptPayload([key16], bad, Uint8Array.of(5)), isDecryptError, `byte ${i}`);
    }
    const vsn = enc.slice();
    vsn[0] = 2;
    assert.throws(() => decryptPayload([key16], vsn, Uint8Array.of(5)), isDecryptError);
    assert.throws(() => decryptPayload([key16], enc.subarray(0, 28)), isDecryptError);
    assert.throws(() => decryptPayload([key16], new Uint8Array(0)), isDecryptError);
    // A version-0 payload must be at least 45 bytes.
    const v0 = encryptPayload(0, key16, new Uint8Array(0));
    assert.equal(v0.length, 45);
    assert.throws(() => decryptPayload([key16], v0.subarray(0, 44)), isDecryptError);
  });
});

describe("keyring", () => {
  it("keeps the primary key first, refuses bad sizes and removing the primary", () => {
    const ring = new Keyring([key16, key24], key32);
    assert.deepEqual(ring.keys, [key32, key16, key24]);
    ring.addKey(key16);
    assert.equal(ring.keys.length, 3);
    ring.useKey(key24);
    assert.deepEqual(ring.primaryKey, key24);
    assert.deepEqual(ring.keys, [key24, key32, key16]);
    assert.throws(() => ring.removeKey(key24), WireError);
    ring.removeKey(key32);
    assert.deepEqual(ring.keys, [key24, key16]);
    assert.throws(() => ring.addKey(new Uint8Array(20)), WireError);
    assert.throws(() => ring.useKey(key32), WireError);
    assert.equal(new Keyring().primaryKey, undefined);
  });

  it("decrypts with any installed key (rotation)", () => {
    const old = new Keyring([key16]);
    const rotated = new Keyring([key16], key32);
    const sent = encodePacket(ping, { keyring: old, compress: false });
    assert.deepEqual(decodePacket(sent, { keyring: rotated }).message, ping);
    const back = encodePacket(ping, { keyring: rotated });
    assert.throws(() => decodePacket(back, { keyring: old }), isDecryptError);
  });
});

describe("encrypted packets (UDP)", () => {
  const ring = new Keyring([key16]);

  it("encrypts the whole datagram with no type byte and no AAD, outside hasCrc", () => {
    const datagram = encodePacket(ping, { keyring: ring, crc: true, compress: false });
    assert.equal(datagram[0], 1, "starts with the encryption version, not a message type");
    const plain = decryptPayload([key16], datagram);
    assert.equal(plain[0], MessageType.HasCrc);
    const decoded = decodePacket(datagram, { keyring: ring });
    assert.equal(decoded.encrypted, true);
    assert.ok(decoded.message.type === "hasCrc");
    assert.deepEqual(decoded.message.inner, ping);
  });

  it("drops undecryptable datagrams unless verifyIncoming is off", () => {
    const plain = encodeMessage(ping);
    assert.throws(() => decodePacket(plain, { keyring: ring }), isDecryptError);
    const lenient = decodePacket(plain, { keyring: ring, verifyIncoming: false });
    assert.equal(lenient.encrypted, false);
    assert.deepEqual(lenient.message, ping);
    const tampered = encodePacket(ping, { keyring: ring });
    tampered[20]! ^= 1;
    assert.throws(() => decodePacket(tampered, { keyring: ring }), isDecryptError);
  });

  it("supports version 0 for protocol-1 peers", () => {
    const datagram = encodePacket(ping, { keyring: ring, encryptionVersion: 0 });
    assert.equal(datagram[0], 0);
    assert.deepEqual(decodePacket(datagram, { keyring: ring }).message, ping);
  });
});

describe("encrypted streams (TCP)", () => {
  const ring = new Keyring([key24]);

  it("frames as 0x0a + uint32 BE length + payload, with the 5-byte header as AAD, around the compressed frame", () => {
    const frame = encodeStream(user, { keyring: ring });
    assert.equal(frame[0], MessageType.Encrypt);
    const length = new DataView(frame.buffer).getUint32(1);
    assert.equal(frame.length, 5 + length);
    const plain = decryptPayload([key24], frame.subarray(5), frame.subarray(0, 5));
    assert.equal(plain[0], MessageType.Compress);
    const decoded = decodeStream(frame, { keyring: ring });
    assert.equal(decoded.encrypted, true);
    assert.equal(decoded.compressed, true);
    assert.equal(decoded.bytesUsed, frame.length);
    assert.deepEqual(decoded.message, user);
  });

  it("authenticates the length header", () => {
    const frame = encodeStream(user, { keyring: ring });
    const payload = frame.subarray(5);
    // Same payload behind a different header: the AAD no longer matches.
    const relabeled = new Uint8Array(frame.length + 1);
    relabeled.set(frame.subarray(0, 5));
    new DataView(relabeled.buffer).setUint32(1, payload.length + 1);
    relabeled.set(payload, 5);
    assert.throws(() => decodeStream(relabeled, { keyring: ring }), isDecryptError);
  });

  it("rejects wrong keys, tampering, plaintext when verifying, oversized lengths; waits for truncated frames", () => {
    const frame = encodeStream(user, { keyring: ring });
    assert.throws(() => decodeStream(frame, { keyring: new Keyring([key16]) }), isDecryptError);
    const bad = frame.slice();
    bad[bad.length - 1]! ^= 1;
    assert.throws(() => decodeStream(bad, { keyring: ring }), isDecryptError);
    const plain = encodeStream(user);
    assert.throws(() => decodeStream(plain, { keyring: ring }), isDecryptError);
    assert.deepEqual(decodeStream(plain, { keyring: ring, verifyIncoming: false }).message, user);
    assert.throws(
      () => decodeStream(Uint8Array.of(MessageType.Encrypt, 0x7f, 0xff, 0xff, 0xff), { keyring: ring }),
      (e) => e instanceof WireError && e.code === "too-large",
    );
    for (const n of [1, 4, 5, frame.length - 1]) {
      assert.throws(
        () => decryptStream(ring, frame.subarray(0, n)),
        (e) => e instanceof WireError && e.code === "truncated",
      );
    }
    // Uncompressed plaintext inside the encryption is accepted too.
    const raw = encryptStream(ring, Uint8Array.of(MessageType.User, 0x81, 0xaa, ...new TextEncoder().encode("UserMsgLen"), 1, 7));
    assert.deepEqual(decodeStream(raw, { keyring: ring }).message, { type: "user", payload: Uint8Array.of(7) });
  });
});
