// Pure encoding/decoding of netlink messages and attributes (no kernel).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AttrMap, attr, encodeAttrs, attrsSize } from "../../src/linux/netlink/attributes.js";
import { encodeMessage, splitMessages } from "../../src/linux/netlink/message.js";
import { decodeError } from "../../src/linux/netlink/socket.js";
import { NLA_F_NESTED, NLMSG_ERROR, NLM_F_ACK_TLVS, NLM_F_CAPPED } from "../../src/linux/netlink/constants.js";

test("attributes: header, padding and values", () => {
  const buf = encodeAttrs([attr.str(3, "br0"), attr.u32(4, 1400), false, undefined, attr.u8(16, 6)]);
  // "br0\0" -> 4+4 = 8; u32 -> 8; u8 -> 5 padded to 8
  assert.equal(buf.length, 24);
  assert.deepEqual([...buf.subarray(0, 8)], [8, 0, 3, 0, 0x62, 0x72, 0x30, 0]);
  assert.equal(buf.readUInt16LE(16), 5, "length excludes padding");
  const map = new AttrMap(buf);
  assert.equal(map.str(3), "br0");
  assert.equal(map.u32(4), 1400);
  assert.equal(map.u8(16), 6);
  assert.equal(map.get(99), undefined);
});

test("attributes: nested, flag bit and network byte order", () => {
  const buf = encodeAttrs([
    attr.nested(18, [attr.str(1, "vxlan"), attr.nested(2, [attr.u32(1, 42), attr.be16(15, 4789)])]),
    attr.nested(7, [attr.flag(1)], true),
  ]);
  const map = new AttrMap(buf);
  const info = map.nested(18)!;
  assert.equal(info.str(1), "vxlan");
  const data = info.nested(2)!;
  assert.equal(data.u32(1), 42);
  assert.equal(data.be16(15), 4789);
  assert.deepEqual([...data.get(15)!], [0x12, 0xb5]);
  // NLA_F_NESTED is set on the wire and masked off when decoding.
  assert.equal(buf.readUInt16LE(buf.length - 8 + 2), 7 | NLA_F_NESTED);
  assert.ok(map.nested(7)!.has(1));
});

test("attributes: repeated types are all kept, truncated input stops cleanly", () => {
  const buf = encodeAttrs([attr.u32(1, 10), attr.u32(1, 20)]);
  const map = new AttrMap(buf);
  assert.deepEqual(map.all(1).map((b) => b.readUInt32LE(0)), [10, 20]);
  const cut = new AttrMap(buf.subarray(0, buf.length - 2));
  assert.deepEqual(cut.all(1).length, 1);
});

test("attributes: encode/decode round trip (property)", () => {
  const item = fc.record({ type: fc.integer({ min: 1, max: 0x3fff }), value: fc.uint8Array({ maxLength: 40 }) });
  fc.assert(
    fc.property(fc.array(item, { maxLength: 12 }), (items) => {
      const attrs = items.map((i) => attr.bytes(i.type, i.value));
      const buf = encodeAttrs(attrs);
      assert.equal(buf.length, attrsSize(attrs));
      assert.equal(buf.length % 4, 0);
      const map = new AttrMap(buf);
      for (const i of items) {
        assert.ok(map.all(i.type).some((b) => Buffer.from(i.value).equals(b)));
      }
    }),
  );
});

test("messages: framing and splitting a multi-message datagram", () => {
  const header = Buffer.alloc(16, 0xaa);
  const a = encodeMessage(16, 0x5, 7, header, [attr.str(3, "x")]);
  const b = encodeMessage(3, 0x2, 8, Buffer.alloc(4));
  assert.equal(a.readUInt32LE(0), a.length);
  assert.equal(a.readUInt32LE(8), 7);
  const [m1, m2, ...rest] = splitMessages(Buffer.concat([a, b]));
  assert.equal(rest.length, 0);
  assert.equal(m1!.type, 16);
  assert.equal(m1!.flags, 5);
  assert.equal(m1!.payload.length, 16 + 8);
  assert.equal(new AttrMap(m1!.payload, 16).str(3), "x");
  assert.equal(m2!.type, 3);
  assert.equal(m2!.seq, 8);
});

test("errors: errno and extended ack message are decoded", () => {
  // nlmsgerr: -17, then the capped original header, then NLMSGERR_ATTR_MSG.
  const payload = Buffer.concat([
    Buffer.from([0xef, 0xff, 0xff, 0xff]),
    Buffer.alloc(16),
    encodeAttrs([attr.str(1, "Unknown device type")]),
  ]);
  payload.writeUInt32LE(40, 4); // the original request's length, ignored when capped
  const message = { type: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, seq: 1, pid: 0, payload };
  assert.deepEqual(decodeError(message), { errno: 17, kernelMessage: "Unknown device type" });
  const ack = { ...message, flags: 0, payload: Buffer.alloc(20) };
  assert.deepEqual(decodeError(ack), { errno: 0, kernelMessage: undefined });
});
