/**
 * Every captured Go datagram and stream: decode all layers, compare with the
 * annotated decoding, and re-encode to the very same bytes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, it } from "node:test";
import {
  crc32,
  decodeGossip,
  decodePacket,
  decodeStream,
  encodeGossip,
  encodeMessage,
  encodePacket,
  encodeStream,
  encodeStreamMessage,
  leafMessages,
  type DecodedGossip,
  type PacketMessage,
} from "../../src/networkdb/wire/index.js";
import { CAPTURES, loadCapture, packetJson, streamJson, toHex, vectorsDir } from "./vectors.js";

/** All GossipMessage byte strings carried by a decoded packet. */
function userPayloads(m: PacketMessage): Uint8Array[] {
  return leafMessages(m).flatMap((l) => (l.type === "user" ? [l.payload] : []));
}

/** Every gossip node of a tree, depth first. */
function gossipNodes(g: DecodedGossip): DecodedGossip[] {
  if (g.kind === "compound") return [g, ...g.messages.flatMap(gossipNodes)];
  if (g.kind === "bulkSync") return [g, ...gossipNodes(g.payload)];
  return [g];
}

for (const name of CAPTURES) {
  const lines = loadCapture(name);

  describe(`capture ${name} (${lines.length} lines)`, () => {
    it("has the expected number of lines", () => {
      assert.equal(lines.length, name.includes("lzw") ? 33 : 584);
    });

    it("decodes every UDP datagram to the annotated structure and re-encodes it byte for byte", () => {
      let checked = 0;
      let crcs = 0;
      for (const line of lines.filter((l) => l.proto === "udp")) {
        const { message, encrypted } = decodePacket(line.bytes);
        assert.equal(encrypted, false);
        if (message.type === "hasCrc") {
          crcs++;
          assert.equal(message.crc, crc32(line.bytes.subarray(5)), `CRC of line at t=${line.t}`);
        }
        assert.deepEqual(packetJson(message, encodeMessage), line.decoded, `structure of ${line.label} at t=${line.t}`);
        assert.equal(toHex(encodeMessage(message)), line.hex, `re-encoding of ${line.label} at t=${line.t}`);
        for (const payload of userPayloads(message)) {
          assert.equal(toHex(encodeGossip(decodeGossip(payload))), toHex(payload), `protobuf of ${line.label}`);
        }
        checked++;
      }
      assert.ok(checked > 0);
      if (!name.includes("lzw")) {
        assert.equal(checked, 550);
        assert.equal(crcs, 185);
      }
    });

    it("rebuilds every datagram from its plain message with compress-if-smaller and the same CRC choice", () => {
      for (const line of lines.filter((l) => l.proto === "udp")) {
        const { message } = decodePacket(line.bytes);
        const crc = message.type === "hasCrc";
        let plain = crc ? message.inner : message;
        if (plain.type === "compress") plain = plain.inner;
        assert.equal(toHex(encodePacket(plain, { compress: true, crc })), line.hex, `${line.label} at t=${line.t}`);
      }
    });

    it("decodes every TCP stream direction to the annotated structure and re-encodes it byte for byte", () => {
      const tcp = lines.filter((l) => l.proto === "tcp");
      assert.equal(tcp.length, name.includes("lzw") ? 4 : 34);
      for (const line of tcp) {
        const decoded = decodeStream(line.bytes);
        assert.equal(decoded.bytesUsed, line.bytes.length, "one frame, nothing after it");
        assert.equal(decoded.compressed, true);
        assert.deepEqual(streamJson(decoded), line.decoded, `structure of ${line.label} at t=${line.t}`);
        assert.equal(toHex(encodeStream(decoded.message)), line.hex, `re-encoding of ${line.label}`);
        const payload = decoded.message.type === "pushPull" ? decoded.message.userState : decoded.message.type === "user" ? decoded.message.payload : undefined;
        assert.ok(payload !== undefined);
        assert.equal(toHex(encodeGossip(decodeGossip(payload))), toHex(payload), `protobuf of ${line.label}`);
        // Decoding also accepts the same message uncompressed.
        const plain = encodeStreamMessage(decoded.message);
        const again = decodeStream(plain);
        assert.equal(again.compressed, false);
        assert.equal(again.bytesUsed, plain.length);
        assert.deepEqual(again.message, decoded.message);
      }
    });
  });
}

describe("capture contents", () => {
  it("counts the individual UDP messages the README lists", () => {
    const counts = new Map<string, number>();
    for (const line of loadCapture(CAPTURES[0]).filter((l) => l.proto === "udp")) {
      for (const leaf of leafMessages(decodePacket(line.bytes).message)) {
        counts.set(leaf.type, (counts.get(leaf.type) ?? 0) + 1);
      }
    }
    assert.deepEqual(Object.fromEntries(counts), {
      ping: 184,
      ack: 174,
      alive: 36,
      suspect: 11,
      dead: 8,
      indirectPing: 5,
      nack: 5,
      user: 162,
    });
  });

  it("carries the 20000-byte value of lzw-big-value.txt intact through the bulk sync", () => {
    const expected = readFileSync(resolve(vectorsDir, "lzw-big-value.txt"));
    assert.equal(expected.length, 20000);
    const values: Uint8Array[] = [];
    for (const line of loadCapture(CAPTURES[1]).filter((l) => l.proto === "tcp")) {
      const { message } = decodeStream(line.bytes);
      if (message.type !== "user") continue;
      for (const node of gossipNodes(decodeGossip(message.payload))) {
        if (node.kind === "tableEvent" && node.event.key === "big") values.push(node.event.value);
      }
    }
    assert.equal(values.length, 1);
    assert.ok(Buffer.from(values[0]!).equals(expected));
  });

  it("sees table events only inside networkdb COMPOUNDs on UDP, with DELETE carrying value and reap time", () => {
    let deletes = 0;
    for (const line of loadCapture(CAPTURES[0]).filter((l) => l.proto === "udp")) {
      for (const payload of userPayloads(decodePacket(line.bytes).message)) {
        const g = decodeGossip(payload);
        assert.notEqual(g.kind, "tableEvent");
        for (const node of gossipNodes(g)) {
          if (node.kind === "tableEvent" && node.event.type === 3) {
            deletes++;
            assert.equal(Buffer.from(node.event.value).toString(), "v2");
            assert.equal(node.event.residualReapTime, 1800);
          }
        }
      }
    }
    assert.equal(deletes, 24);
  });
});
