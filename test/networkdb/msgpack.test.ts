/**
 * go-msgpack old-spec forms: raw for strings and bytes (never str8/bin),
 * smallest integers, sorted Go field names, nil versus empty, lenient reading.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  MsgpackReader,
  MsgpackWriter,
  WireError,
  aliveCodec,
  decodeStruct,
  encodeStruct,
  indirectPingCodec,
  pingCodec,
  pushNodeStateCodec,
  pushPullHeaderCodec,
  suspectCodec,
  userMsgHeaderCodec,
  ackCodec,
  compressCodec,
} from "../../src/networkdb/wire/index.js";
import { fromHex, toHex } from "./vectors.js";

function written(fn: (w: MsgpackWriter) => void): string {
  const w = new MsgpackWriter();
  fn(w);
  return toHex(w.out.finish());
}

describe("msgpack writer (old spec)", () => {
  it("writes raw forms for strings and bytes: fixraw, raw16 from 32 bytes, raw32 from 65536", () => {
    const head = (n: number) => written((w) => w.raw(new Uint8Array(n))).slice(0, 10);
    assert.equal(head(0).slice(0, 2), "a0");
    assert.equal(head(31).slice(0, 2), "bf");
    assert.equal(head(32).slice(0, 6), "da0020");
    assert.equal(head(255).slice(0, 6), "da00ff");
    assert.equal(head(256).slice(0, 6), "da0100");
    assert.equal(head(65535).slice(0, 6), "daffff");
    assert.equal(head(65536).slice(0, 10), "db00010000");
    assert.equal(written((w) => w.str("x".repeat(40))).slice(0, 6), "da0028");
    assert.equal(written((w) => w.raw(null)), "c0");
  });

  it("writes integers in their smallest form", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [127, "7f"],
      [128, "cc80"],
      [255, "ccff"],
      [256, "cd0100"],
      [7946, "cd1f0a"],
      [20089, "cd4e79"],
      [65536, "ce00010000"],
      [2 ** 32, "cf0000000100000000"],
      [-1, "ff"],
      [-32, "e0"],
      [-33, "d0df"],
      [-200, "d1ff38"],
      [-40000, "d2ffff63c0"],
    ];
    for (const [v, hex] of cases) assert.equal(written((w) => w.int(v)), hex, String(v));
  });

  it("writes map headers: fixmap, map16, map32", () => {
    assert.equal(written((w) => w.mapHeader(15)), "8f");
    assert.equal(written((w) => w.mapHeader(16)), "de0010");
    assert.equal(written((w) => w.mapHeader(70000)), "df00011170");
  });
});

describe("memberlist structs", () => {
  it("encodes fields under their Go names in alphabetical order", () => {
    assert.deepEqual(aliveCodec.wireOrder, ["Addr", "Incarnation", "Meta", "Node", "Port", "Vsn"]);
    assert.deepEqual(indirectPingCodec.wireOrder, ["Nack", "Node", "Port", "SeqNo", "Target"]);
    assert.deepEqual(pushNodeStateCodec.wireOrder, ["Addr", "Incarnation", "Meta", "Name", "Port", "State", "Vsn"]);
    assert.deepEqual(pushPullHeaderCodec.wireOrder, ["Join", "Nodes", "UserStateLen"]);
    // The README's examples.
    assert.equal(toHex(encodeStruct(pingCodec, { SeqNo: 1, Node: "3fcdb6b507c4" })), "82a44e6f6465ac336663646236623530376334a55365714e6f01");
    assert.equal(toHex(encodeStruct(ackCodec, { SeqNo: 1, Payload: null })), "82a75061796c6f6164c0a55365714e6f01");
    assert.equal(toHex(encodeStruct(userMsgHeaderCodec, { UserMsgLen: 20089 })), "81aa557365724d73674c656ecd4e79");
  });

  it("keeps nil and empty byte fields apart", () => {
    const base = { Incarnation: 1, Node: "n", Addr: Uint8Array.of(192, 0, 2, 101), Port: 7946, Vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) };
    const empty = encodeStruct(aliveCodec, { ...base, Meta: new Uint8Array(0) });
    const nil = encodeStruct(aliveCodec, { ...base, Meta: null });
    assert.ok(toHex(empty).includes("a44d657461a0"));
    assert.ok(toHex(nil).includes("a44d657461c0"));
    assert.deepEqual(decodeStruct(aliveCodec, empty).value.Meta, new Uint8Array(0));
    assert.equal(decodeStruct(aliveCodec, nil).value.Meta, null);
    // Vsn is raw bytes, not an array.
    assert.ok(toHex(nil).includes("a356736ea6010502000000"));
  });

  it("round-trips arbitrary struct values byte for byte", () => {
    const bytes = fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          Name: fc.string({ maxLength: 80 }),
          Addr: bytes,
          Port: fc.integer({ min: 0, max: 65535 }),
          Meta: bytes,
          Incarnation: fc.integer({ min: 0, max: 0xffffffff }),
          State: fc.integer({ min: -5, max: 5 }),
          Vsn: bytes,
        }),
        (node) => {
          const enc = encodeStruct(pushNodeStateCodec, node);
          const { value, end } = decodeStruct(pushNodeStateCodec, enc);
          assert.equal(end, enc.length);
          assert.deepEqual(value, { ...node }); // fast-check records have a null prototype
          assert.equal(toHex(encodeStruct(pushNodeStateCodec, value)), toHex(enc));
          // Old spec only: no str8 (d9) or bin (c4..c6) type bytes at value positions.
          const r = new MsgpackReader(enc);
          const n = r.mapHeader();
          for (let i = 0; i < 2 * n; i++) {
            assert.ok(![0xd9, 0xc4, 0xc5, 0xc6].includes(enc[r.pos]!));
            r.skip();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reads leniently: new-spec str8/bin, unknown keys skipped, missing fields zero, nil as zero", () => {
    // {"Node": str8 "abc", "Extra": [1, {"x": 1.5}], "SeqNo": 5}
    const w = new MsgpackWriter();
    w.mapHeader(3);
    w.str("Node");
    w.out.bytes(fromHex("d903616263"));
    w.str("Extra");
    w.out.bytes(fromHex("920181a178cb3ff8000000000000"));
    w.str("SeqNo");
    w.int(5);
    assert.deepEqual(decodeStruct(pingCodec, w.out.finish()).value, { Node: "abc", SeqNo: 5 });
    // bin8 into a byte field.
    const c = new MsgpackWriter();
    c.mapHeader(1);
    c.str("Buf");
    c.out.bytes(fromHex("c4020102"));
    assert.deepEqual(decodeStruct(compressCodec, c.out.finish()).value, { Algo: 0, Buf: Uint8Array.of(1, 2) });
    // Empty map: Go zero values.
    assert.deepEqual(decodeStruct(suspectCodec, fromHex("80")).value, { Incarnation: 0, Node: "", From: "" });
  });

  it("rejects malformed input with a WireError", () => {
    const bad: [string, () => unknown][] = [
      ["empty input", () => decodeStruct(pingCodec, fromHex(""))],
      ["array instead of map", () => decodeStruct(pingCodec, fromHex("9101"))],
      ["key without value", () => decodeStruct(pingCodec, fromHex("81a44e6f6465"))],
      ["Port beyond uint16", () => decodeStruct(indirectPingCodec, fromHex("81a4506f7274ce00010000"))],
      ["negative SeqNo", () => decodeStruct(pingCodec, fromHex("81a55365714e6fff"))],
      ["raw16 longer than the input", () => decodeStruct(pingCodec, fromHex("81a44e6f6465da00ff41"))],
      ["SeqNo given as a string", () => decodeStruct(pingCodec, fromHex("81a55365714e6fa0"))],
      ["Join given as an integer", () => decodeStruct(pushPullHeaderCodec, fromHex("81a44a6f696e01"))],
      ["reserved type byte 0xc1", () => decodeStruct(compressCodec, fromHex("81a3427566c1"))],
      ["unknown key with a truncated value", () => decodeStruct(pingCodec, fromHex("81a158dc0005"))],
    ];
    for (const [what, fn] of bad) assert.throws(fn, WireError, what);
    assert.equal(decodeStruct(indirectPingCodec, fromHex("81a4506f7274cdffff")).value.Port, 65535);
    assert.throws(() => encodeStruct(pingCodec, { SeqNo: -1, Node: "x" }), WireError);
    assert.throws(() => encodeStruct(pingCodec, { SeqNo: 2 ** 32, Node: "x" }), WireError);
  });
});
