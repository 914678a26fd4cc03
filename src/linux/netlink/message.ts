// Netlink message framing: struct nlmsghdr (u32 length, u16 type, u16 flags,
// u32 sequence, u32 port id) followed by the payload, padded to 4 bytes.
// A datagram from the kernel may hold several messages back to back.
import { NLMSG_HDRLEN } from "./constants.js";
import { NLA_ALIGN, type NlAttrItem, attrsSize, writeAttrs } from "./attributes.js";

/** One received message; `payload` is everything after the 16-byte header. */
export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  readonly pid: number;
  readonly payload: Buffer;
}

/** Builds a message: header, a fixed family header (ifinfomsg, rtmsg...) and attributes. */
export function encodeMessage(
  type: number,
  flags: number,
  seq: number,
  familyHeader: Buffer,
  attrs: readonly NlAttrItem[] = [],
): Buffer {
  const headerLength = NLA_ALIGN(familyHeader.length);
  const length = NLMSG_HDRLEN + headerLength + attrsSize(attrs);
  const out = Buffer.alloc(length);
  out.writeUInt32LE(length, 0);
  out.writeUInt16LE(type, 4);
  out.writeUInt16LE(flags, 6);
  out.writeUInt32LE(seq >>> 0, 8);
  out.writeUInt32LE(0, 12); // port id 0: let the kernel fill in ours
  familyHeader.copy(out, NLMSG_HDRLEN);
  writeAttrs(attrs, out, NLMSG_HDRLEN + headerLength);
  return out;
}

/** Splits a datagram into messages (payloads are views, not copies). */
export function splitMessages(datagram: Buffer): NlMessage[] {
  const messages: NlMessage[] = [];
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= datagram.length) {
    const length = datagram.readUInt32LE(offset);
    if (length < NLMSG_HDRLEN || offset + length > datagram.length) break;
    messages.push({
      type: datagram.readUInt16LE(offset + 4),
      flags: datagram.readUInt16LE(offset + 6),
      seq: datagram.readUInt32LE(offset + 8),
      pid: datagram.readUInt32LE(offset + 12),
      payload: datagram.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += NLA_ALIGN(length);
  }
  return messages;
}
