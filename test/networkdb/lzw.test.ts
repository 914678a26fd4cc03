/**
 * LZW: Go-compatible framing, round trips, the KwKwK case, streams without a
 * leading CLEAR, and hostile input (errors, never hangs, bounded output).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { WireError, lzwDecode, lzwEncode, type LzwStats } from "../../src/networkdb/wire/index.js";
import { loadAllCaptures } from "./vectors.js";

/** Pack codes LSB-first at the given fixed width (enough for short hand-made streams). */
function pack(codes: number[], width = 9): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let n = 0;
  for (const c of codes) {
    bits |= c << n;
    n += width;
    while (n >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      n -= 8;
    }
  }
  if (n > 0) out.push(bits & 0xff);
  return Uint8Array.from(out);
}

/** Drop the first `count` bits of an LSB-first bit stream. */
function dropBits(buf: Uint8Array, count: number): Uint8Array {
  const total = buf.length * 8 - count;
  const out = new Uint8Array(Math.ceil(total / 8));
  for (let i = 0; i < total; i++) {
    const src = i + count;
    if ((buf[src >> 3]! >> (src & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

function stats(): LzwStats {
  return {} as LzwStats;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

function randomBytes(n: number, alphabet: number, seed: number): Uint8Array {
  const next = seeded(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() >>> 16) % alphabet; // high bits: an LCG's low bits cycle fast
  return out;
}

function expectWireError(fn: () => unknown, code?: string): void {
  assert.throws(fn, (err: unknown) => err instanceof WireError && (code === undefined || err.code === code));
}

describe("LZW (Go compress/lzw, LSB, litWidth 8)", () => {
  it("frames like go1.19: leading CLEAR, trailing EOF, zero padding", () => {
    for (const input of [new Uint8Array(0), Uint8Array.of(7), new TextEncoder().encode("TOBEORNOTTOBEORTOBEORNOT")]) {
      const enc = lzwEncode(input);
      assert.equal(enc[0], 0x00, "CLEAR (256) low byte");
      assert.equal(enc[1]! & 1, 1, "CLEAR (256) bit 8");
      const s = stats();
      assert.deepEqual(lzwDecode(enc, { stats: s }), input);
      assert.equal(s.firstCode, 256);
      assert.equal(s.eof, true);
      assert.equal(s.trailingBytes, 0);
      assert.equal(s.finalPadZero, true);
    }
    // Empty input: CLEAR then EOF, 18 bits.
    assert.deepEqual(Array.from(lzwEncode(new Uint8Array(0))), [0x00, 0x03, 0x02]);
  });

  it("round-trips random data of many sizes (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (input) => {
        assert.deepEqual(lzwDecode(lzwEncode(input)), input);
      }),
      { numRuns: 300 },
    );
    // Small alphabets give long matches, wide codes and dictionary resets.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 0, max: 60000 }),
        fc.integer(),
        (alphabet, size, seed) => {
          const input = randomBytes(size, alphabet, seed);
          const s = stats();
          assert.deepEqual(lzwDecode(lzwEncode(input), { stats: s }), input);
          assert.ok(s.maxWidth >= 9 && s.maxWidth <= 12);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("resets the dictionary with a 12-bit CLEAR when it is full", () => {
    const input = randomBytes(100_000, 256, 42);
    const s = stats();
    assert.deepEqual(lzwDecode(lzwEncode(input), { stats: s }), input);
    assert.equal(s.maxWidth, 12);
    assert.ok(s.midstreamClears >= 10, `clears: ${s.midstreamClears}`);
  });

  it("handles the KwKwK case: 34 times across the captures, and in runs of one byte", () => {
    let total = 0;
    for (const line of loadAllCaptures()) {
      if (line.decoded.msg !== "compress" && (line.decoded.inner as { msg?: string } | undefined)?.msg !== "compress") continue;
      // The LZW buffer is the Buf of the compress map; the annotated JSON has its plain text.
      const compress = (line.decoded.msg === "compress" ? line.decoded : line.decoded.inner) as { plain_hex: string };
      const plain = Buffer.from(compress.plain_hex, "hex");
      const s = stats();
      assert.deepEqual(Buffer.from(lzwDecode(lzwEncode(plain), { stats: s })), plain);
      total += s.kwkwk;
    }
    assert.equal(total, 34);
    for (const n of [2, 3, 4, 10, 1000, 70000]) {
      const input = new Uint8Array(n).fill(0x61);
      const s = stats();
      assert.deepEqual(lzwDecode(lzwEncode(input), { stats: s }), input);
      if (n >= 3) assert.ok(s.kwkwk > 0);
    }
    // Hand-made: "aaa" = CLEAR, 'a', 258 (KwKwK: defined by this very code), EOF.
    assert.deepEqual(lzwDecode(pack([256, 0x61, 258, 257])), new TextEncoder().encode("aaa"));
  });

  it("accepts streams without a leading CLEAR", () => {
    for (const input of [Uint8Array.of(1), randomBytes(5000, 4, 7), randomBytes(30000, 256, 9)]) {
      const withoutClear = dropBits(lzwEncode(input), 9);
      const s = stats();
      assert.deepEqual(lzwDecode(withoutClear, { stats: s }), input);
      assert.notEqual(s.firstCode, 256);
    }
  });

  it("rejects broken streams with a clear WireError", () => {
    expectWireError(() => lzwDecode(new Uint8Array(0)), "truncated");
    expectWireError(() => lzwDecode(pack([256, 0x61, 0x62])), "truncated"); // no EOF
    const enc = lzwEncode(new TextEncoder().encode("hello hello hello"));
    expectWireError(() => lzwDecode(enc.subarray(0, enc.length - 2)), "truncated");
    expectWireError(() => lzwDecode(pack([256, 300, 257])), "malformed"); // code above the next free one
    expectWireError(() => lzwDecode(pack([256, 0x61, 259, 257])), "malformed");
    expectWireError(() => lzwDecode(pack([256, 258, 257])), "malformed"); // KwKwK right after CLEAR
  });

  it("caps the output size of a decompression bomb", () => {
    const bomb = lzwEncode(new Uint8Array(5_000_000));
    assert.ok(bomb.length < 20_000, `bomb is ${bomb.length} bytes`);
    expectWireError(() => lzwDecode(bomb, { maxOutput: 100_000 }), "too-large");
    assert.equal(lzwDecode(bomb, { maxOutput: 5_000_000 }).length, 5_000_000);
    expectWireError(() => lzwDecode(lzwEncode(Uint8Array.of(1, 2)), { maxOutput: 1 }), "too-large");
  });

  it("turns random garbage into output or a WireError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (garbage) => {
        try {
          lzwDecode(garbage, { maxOutput: 1 << 20 });
        } catch (err) {
          assert.ok(err instanceof WireError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
