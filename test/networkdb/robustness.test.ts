/**
 * Decoder robustness: 10,000 random and mutated inputs (bit flips,
 * truncations, insertions, splices of captured packets and streams). Every
 * one must decode or throw a WireError; nothing crashes or hangs, and whatever
 * decodes can be encoded again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Keyring,
  WireError,
  decodeGossip,
  decodePacket,
  decodeStream,
  encodeGossip,
  encodeMessage,
  encodeStream,
  leafMessages,
} from "../../src/networkdb/wire/index.js";
import { loadAllCaptures } from "./vectors.js";

/** Deterministic PRNG (xorshift32), so a failure can be replayed. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

function mutate(src: Uint8Array, rnd: (n: number) => number, others: Uint8Array[]): Uint8Array {
  switch (rnd(6)) {
    case 0: {
      // 1..8 bit flips
      const out = src.slice();
      const flips = 1 + rnd(8);
      for (let i = 0; i < flips && out.length > 0; i++) out[rnd(out.length)]! ^= 1 << rnd(8);
      return out;
    }
    case 1:
      return src.slice(0, rnd(src.length + 1)); // truncation
    case 2: {
      // random byte overwrite at a random place
      const out = src.slice();
      if (out.length > 0) out[rnd(out.length)] = rnd(256);
      return out;
    }
    case 3: {
      // insert random bytes
      const at = rnd(src.length + 1);
      const extra = Uint8Array.from({ length: 1 + rnd(8) }, () => rnd(256));
      const out = new Uint8Array(src.length + extra.length);
      out.set(src.subarray(0, at));
      out.set(extra, at);
      out.set(src.subarray(at), at + extra.length);
      return out;
    }
    case 4: {
      // delete a range
      const at = rnd(src.length + 1);
      const len = rnd(16);
      const out = new Uint8Array(src.length - Math.min(len, src.length - at));
      out.set(src.subarray(0, at));
      out.set(src.subarray(at + len), at);
      return out;
    }
    default: {
      // splice: head of this one, tail of another
      const other = others[rnd(others.length)]!;
      const a = rnd(src.length + 1);
      const b = rnd(other.length + 1);
      const out = new Uint8Array(a + other.length - b);
      out.set(src.subarray(0, a));
      out.set(other.subarray(b), a);
      return out;
    }
  }
}

/** Run `fn`; a WireError counts under its code, anything else fails the test. */
function attempt(fn: () => void, tally: Map<string, number>, input: Uint8Array, what: string): void {
  try {
    fn();
    tally.set("ok", (tally.get("ok") ?? 0) + 1);
  } catch (err) {
    if (!(err instanceof WireError)) {
      assert.fail(`${what} threw ${String(err)} for input ${Buffer.from(input).toString("hex").slice(0, 400)}`);
    }
    tally.set(err.code, (tally.get(err.code) ?? 0) + 1);
  }
}

describe("decoder robustness", () => {
  const captures = loadAllCaptures();
  const udp = captures.filter((l) => l.proto === "udp").map((l) => l.bytes);
  const tcp = captures.filter((l) => l.proto === "tcp").map((l) => l.bytes);
  // Most captured streams are small; the 20 KB one is mutated too but less often (it is slower to decode).
  const smallTcp = tcp.filter((b) => b.length < 2000);
  const gossip = udp.flatMap((b) => leafMessages(decodePacket(b).message).flatMap((m) => (m.type === "user" ? [m.payload] : [])));
  const all = [...udp, ...tcp];
  const keyring = new Keyring([new Uint8Array(16).fill(1)]);

  it("10,000 random and mutated inputs: decode or WireError, and decoded input re-encodes", () => {
    const rnd = prng(0xc0ffee);
    const packets = new Map<string, number>();
    const streams = new Map<string, number>();
    const protos = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      let input: Uint8Array;
      const kind = rnd(10);
      if (kind < 2) {
        input = Uint8Array.from({ length: rnd(300) }, () => rnd(256));
        if (input.length > 0 && rnd(2) === 0) input[0] = rnd(14); // a plausible type byte
      } else if (kind < 6) {
        input = mutate(udp[rnd(udp.length)]!, rnd, all);
      } else if (kind < 8) {
        const pool = rnd(20) === 0 ? tcp : smallTcp;
        input = mutate(pool[rnd(pool.length)]!, rnd, all);
      } else {
        input = mutate(gossip[rnd(gossip.length)]!, rnd, gossip);
      }

      attempt(() => encodeMessage(decodePacket(input).message), packets, input, "decodePacket");
      attempt(() => encodeStream(decodeStream(input).message), streams, input, "decodeStream");
      attempt(() => encodeGossip(decodeGossip(input)), protos, input, "decodeGossip");
      if (i % 10 === 0) {
        attempt(() => void decodePacket(input, { keyring }), new Map(), input, "decodePacket+keyring");
        attempt(() => void decodeStream(input, { keyring }), new Map(), input, "decodeStream+keyring");
      }
    }
    // The corpus exercises both outcomes and the main error kinds.
    for (const tally of [packets, streams]) {
      assert.ok((tally.get("ok") ?? 0) > 100, JSON.stringify([...tally]));
      assert.ok((tally.get("malformed") ?? 0) > 100, JSON.stringify([...tally]));
      assert.ok((tally.get("truncated") ?? 0) > 100, JSON.stringify([...tally]));
    }
    assert.ok((packets.get("checksum") ?? 0) > 100, JSON.stringify([...packets]));
    assert.ok((protos.get("ok") ?? 0) > 100 && (protos.get("malformed") ?? 0) > 100, JSON.stringify([...protos]));
  });

  it("every truncation of every captured datagram and small stream decodes or throws a WireError", () => {
    for (const bytes of [...udp, ...smallTcp]) {
      for (let n = 0; n < bytes.length; n++) {
        const cut = bytes.subarray(0, n);
        attempt(() => void decodePacket(cut), new Map(), cut, "decodePacket");
        const tally = new Map<string, number>();
        attempt(() => void decodeStream(cut), tally, cut, "decodeStream");
        if (smallTcp.includes(bytes)) assert.deepEqual([...tally.keys()], ["truncated"], "a cut stream asks for more bytes");
      }
    }
  });
});
