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
import { mutate, prng } from "./fuzz-corpus.js";
import { loadAllCaptures } from "./vectors.js";

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
