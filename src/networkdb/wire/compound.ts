/**
 * memberlist's compound message (type 7): several messages in one datagram.
 *
 * Layout (util.go makeCompoundMessage / decodeCompoundMessage): 0x07, a 1-byte
 * part count N, N big-endian uint16 part lengths, then the N parts back to
 * back, each a complete message starting with its own type byte.
 */
import { ByteWriter } from "./byte-writer.js";
import { WireError } from "./errors.js";
import { MaxCompoundParts, MessageType } from "./message-types.js";

/** Build a compound message (type byte included) from complete encoded messages. */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > MaxCompoundParts) {
    throw new WireError("invalid-value", `a compound holds at most ${MaxCompoundParts} parts, got ${parts.length}`);
  }
  let total = 2 + 2 * parts.length;
  for (const p of parts) {
    if (p.length > 0xffff) throw new WireError("invalid-value", `compound part of ${p.length} bytes exceeds 65535`);
    total += p.length;
  }
  const w = new ByteWriter(total);
  w.u8(MessageType.Compound);
  w.u8(parts.length);
  for (const p of parts) w.u16(p.length);
  for (const p of parts) w.bytes(p);
  return w.finish();
}

/** The parts of a compound message, and how many announced parts were cut off. */
export interface CompoundParts {
  /** Views into the input, in order. */
  parts: Uint8Array[];
  /**
   * Announced parts missing because the datagram ended early. memberlist keeps
   * the complete parts and only logs the truncation, so this is not an error.
   */
  truncated: number;
}

/**
 * Split the body of a compound message (the bytes after the 0x07 type byte).
 * Bytes after the last announced part are ignored, as memberlist does.
 */
export function splitCompound(body: Uint8Array): CompoundParts {
  if (body.length < 1) throw new WireError("truncated", "compound: missing part count");
  const count = body[0]!;
  if (body.length < 1 + 2 * count) throw new WireError("truncated", "compound: truncated length table");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 1 + 2 * count;
  for (let i = 0; i < count; i++) {
    const len = view.getUint16(1 + 2 * i);
    if (offset + len > body.length) return { parts, truncated: count - i };
    parts.push(body.subarray(offset, offset + len));
    offset += len;
  }
  return { parts, truncated: 0 };
}
