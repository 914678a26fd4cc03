/**
 * Packet and stream framing beyond the captures: CRC, compound edge cases,
 * layer rules, incremental stream reading.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DefaultVsn,
  MessageType,
  WireError,
  compressMessage,
  crc32,
  decodePacket,
  decodeStream,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodeStream,
  splitCompound,
  withCrc,
  type PacketMessage,
  type StreamMessage,
} from "../../src/networkdb/wire/index.js";
import { fromHex, toHex } from "./vectors.js";

const ping: PacketMessage = { type: "ping", body: { SeqNo: 1, Node: "3fcdb6b507c4" } };
const alive = (node: string, meta: Uint8Array | null): PacketMessage => ({
  type: "alive",
  body: { Incarnation: 1, Node: node, Addr: Uint8Array.of(192, 0, 2, 101), Port: 7946, Meta: meta, Vsn: Uint8Array.from(DefaultVsn) },
});

function code(err: unknown): string | undefined {
  return err instanceof WireError ? err.code : undefined;
}

describe("CRC-32/IEEE", () => {
  it("matches the standard check values", () => {
    assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
    assert.equal(crc32(new TextEncoder().encode("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  });
});

describe("packets", () => {
  it("encodes the README's example messages", () => {
    assert.equal(toHex(encodeMessage(ping)), "0082a44e6f6465ac336663646236623530376334a55365714e6f01");
    assert.equal(toHex(encodeMessage({ type: "nack", body: { SeqNo: 57 } })), "0b81a55365714e6f39");
  });

  it("puts hasCrc outermost, big-endian, over everything after the 5-byte header", () => {
    const inner = encodeMessage(ping);
    const framed = withCrc(inner);
    assert.equal(framed[0], MessageType.HasCrc);
    assert.equal(new DataView(framed.buffer).getUint32(1), crc32(inner));
    assert.deepEqual(decodePacket(framed).message, { type: "hasCrc", crc: crc32(inner), inner: ping });
  });

  it("rejects a bad CRC with a checksum error", () => {
    const framed = withCrc(encodeMessage(ping));
    framed[framed.length - 1]! ^= 1;
    assert.throws(() => decodePacket(framed), (e) => code(e) === "checksum");
  });

  it("compresses only when strictly smaller", () => {
    const small = encodePacket(ping, { compress: true });
    assert.equal(small[0], MessageType.Ping);
    const big: PacketMessage = { type: "compound", parts: [ping, alive("aaaaaaaaaaaa", null), alive("aaaaaaaaaaab", null), alive("aaaaaaaaaaac", new Uint8Array(0))] };
    const packed = encodePacket(big, { compress: true, crc: true });
    assert.equal(packed[0], MessageType.HasCrc);
    assert.equal(packed[5], MessageType.Compress);
    const decoded = decodePacket(packed).message;
    assert.ok(decoded.type === "hasCrc" && decoded.inner.type === "compress");
    assert.deepEqual(decoded.inner.inner, big);
    assert.deepEqual(encodePacket(big, { compress: false }), encodeMessage(big));
  });

  it("frames compounds as count + uint16 BE lengths + parts", () => {
    const parts = [Uint8Array.of(1, 2, 3), new Uint8Array(0x12), Uint8Array.of(9)];
    const c = encodeCompound(parts);
    assert.equal(toHex(c.subarray(0, 8)), "0703000300120001");
    assert.deepEqual(splitCompound(c.subarray(1)), { parts, truncated: 0 });
    // A datagram cut inside the second part: memberlist keeps the first and counts two truncated.
    assert.deepEqual(splitCompound(c.subarray(1, 12)), { parts: [parts[0]], truncated: 2 });
    assert.throws(() => splitCompound(Uint8Array.of(3, 0)), (e) => code(e) === "truncated");
    assert.throws(() => encodeCompound(Array.from({ length: 256 }, () => Uint8Array.of(0))), WireError);
    assert.throws(() => encodeCompound([new Uint8Array(65536)]), WireError);
  });

  it("keeps user payloads opaque (no length header)", () => {
    const payload = fromHex("0801121808011009");
    const enc = encodeMessage({ type: "user", payload });
    assert.equal(toHex(enc), "08" + toHex(payload));
    assert.deepEqual(decodePacket(enc).message, { type: "user", payload });
  });

  it("rejects what memberlist rejects in a datagram", () => {
    const cases: [string, Uint8Array, string][] = [
      ["empty datagram", new Uint8Array(0), "truncated"],
      ["pushPull over UDP", Uint8Array.of(MessageType.PushPull, 0x80), "malformed"],
      ["bare encrypt type", Uint8Array.of(MessageType.Encrypt, 0), "malformed"],
      ["unknown type", Uint8Array.of(200), "malformed"],
      ["hasCrc nested in a compound", encodeCompound([withCrc(encodeMessage(ping))]), "malformed"],
      ["short hasCrc", Uint8Array.of(MessageType.HasCrc, 0, 0), "malformed"],
      ["empty compound part", encodeCompound([new Uint8Array(0)]), "truncated"],
      ["unknown compression", fromHex("0982a4416c676f01a3427566a0"), "unsupported"],
      ["compress with nil Buf", fromHex("0982a4416c676f00a3427566c0"), "truncated"],
    ];
    for (const [what, bytes, expected] of cases) {
      assert.throws(() => decodePacket(bytes), (e) => code(e) === expected, what);
    }
  });

  it("limits nesting and total decompressed size", () => {
    let nested = encodeMessage(ping);
    for (let i = 0; i < 6; i++) nested = encodeCompound([nested]);
    assert.throws(() => decodePacket(nested), (e) => code(e) === "malformed");
    assert.equal(decodePacket(nested, { maxDepth: 6 }).message.type, "compound");
    const bomb = compressMessage(encodeMessage({ type: "user", payload: new Uint8Array(200_000) }));
    assert.ok(bomb.length < 1400);
    assert.throws(() => decodePacket(bomb, { maxDecompressedBytes: 100_000 }), (e) => code(e) === "too-large");
    assert.equal(decodePacket(bomb).message.type, "compress");
  });
});

describe("streams", () => {
  const pushPull: StreamMessage = {
    type: "pushPull",
    join: true,
    nodes: [{ Name: "f4b20cc8afb4", Addr: Uint8Array.of(192, 0, 2, 102), Port: 7946, Meta: new Uint8Array(0), Incarnation: 1, State: 0, Vsn: Uint8Array.from(DefaultVsn) }],
    userState: fromHex("0803121008011a0c663462323063633861666234"),
  };

  it("always compresses on send, even when that makes the frame bigger", () => {
    const user: StreamMessage = { type: "user", payload: Uint8Array.of(8, 5) };
    const enc = encodeStream(user);
    assert.equal(enc[0], MessageType.Compress);
    assert.ok(enc.length > encodeStream(user, { compress: false }).length);
    assert.deepEqual(decodeStream(enc).message, user);
  });

  it("reads a frame incrementally: truncated until complete, then reports the bytes used", () => {
    for (const compress of [true, false]) {
      const enc = encodeStream(pushPull, { compress });
      for (let n = 0; n < enc.length; n++) {
        assert.throws(() => decodeStream(enc.subarray(0, n)), (e) => code(e) === "truncated", `compress=${compress} n=${n}`);
      }
      const withNext = new Uint8Array(enc.length + 3);
      withNext.set(enc);
      const d = decodeStream(withNext);
      assert.equal(d.bytesUsed, enc.length);
      assert.deepEqual(d.message, pushPull);
      assert.equal(d.compressed, compress);
    }
  });

  it("encodes ping, ack and err frames (TCP fallback probe)", () => {
    for (const m of [
      { type: "ping", body: { SeqNo: 9, Node: "n1" } },
      { type: "ack", body: { SeqNo: 9, Payload: null } },
      { type: "err", body: { Error: "boom" } },
    ] as StreamMessage[]) {
      assert.deepEqual(decodeStream(encodeStream(m)).message, m);
    }
  });

  it("treats a bad LZW stream inside a complete frame as malformed, not truncated", () => {
    // Compress map whose Buf is complete but holds no EOF code.
    const frame = fromHex("0982a4416c676f00a3427566a3000302");
    frame[frame.length - 1] = 0x00; // CLEAR, then code 1 ... without EOF within 3 bytes
    assert.throws(() => decodeStream(frame), (e) => code(e) === "malformed");
  });

  it("rejects bad frames", () => {
    const cases: [string, Uint8Array, string][] = [
      ["unknown type", Uint8Array.of(0x33), "malformed"],
      ["suspect on a stream", encodeMessage({ type: "suspect", body: { Incarnation: 1, Node: "a", From: "b" } }), "malformed"],
      ["compress in compress", compressMessage(compressMessage(Uint8Array.of(8, 0x81, 0xaa))), "malformed"],
      ["huge user state", fromHex("0683a44a6f696ec2a54e6f64657300ac5573657253746174654c656ece7fffffff"), "too-large"],
      ["encrypted without a keyring", Uint8Array.of(MessageType.Encrypt, 0, 0, 0, 40), "decrypt"],
    ];
    for (const [what, bytes, expected] of cases) {
      assert.throws(() => decodeStream(bytes), (e) => code(e) === expected, what);
    }
  });
});
