// Netlink attributes (struct nlattr / rtattr): a 4-byte header (u16 length
// including the header, u16 type) then the payload, padded to 4 bytes.
// Encoding is declarative: build a tree of NlAttr values, then encode it once,
// so optional attributes are simply left out of the array (false/undefined).
import { NLA_F_NESTED, NLA_TYPE_MASK } from "./constants.js";

export const NLA_HDRLEN = 4;
export const NLA_ALIGN = (n: number): number => (n + 3) & ~3;

/** One attribute: raw bytes, or nested attributes. */
export interface NlAttr {
  readonly type: number;
  readonly value: Buffer | readonly NlAttrItem[];
}

/** An entry of an attribute list; falsy entries are skipped, which lets a list
 * say `mtu !== undefined && attr.u32(IFLA_MTU, mtu)`. */
export type NlAttrItem = NlAttr | false | undefined | null;

function u8(type: number, value: number): NlAttr {
  const b = Buffer.alloc(1);
  b.writeUInt8(value);
  return { type, value: b };
}
function u16(type: number, value: number): NlAttr {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(value);
  return { type, value: b };
}
/** Network byte order u16 (ports). */
function be16(type: number, value: number): NlAttr {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return { type, value: b };
}
function u32(type: number, value: number): NlAttr {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return { type, value: b };
}
function s32(type: number, value: number): NlAttr {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return { type, value: b };
}
/** NUL-terminated string, as the kernel's NLA_NUL_STRING / NLA_STRING expect. */
function str(type: number, value: string): NlAttr {
  return { type, value: Buffer.from(value + "\0", "utf8") };
}
function bytes(type: number, value: Buffer | Uint8Array): NlAttr {
  return { type, value: Buffer.from(value) };
}
/** Presence-only attribute (NLA_FLAG). */
function flag(type: number): NlAttr {
  return { type, value: Buffer.alloc(0) };
}
/** Nested attributes. rtnetlink does not want NLA_F_NESTED (iproute2 never
 * sets it); stricter families (nftables, genetlink) do: pass markNested. */
function nested(type: number, children: readonly NlAttrItem[], markNested = false): NlAttr {
  return { type: markNested ? type | NLA_F_NESTED : type, value: children };
}

/** Attribute constructors. */
export const attr = { u8, u16, be16, u32, s32, str, bytes, flag, nested };

function isAttr(item: NlAttrItem): item is NlAttr {
  return item !== false && item !== undefined && item !== null;
}

/** Encoded size of an attribute list, padding included. */
export function attrsSize(items: readonly NlAttrItem[]): number {
  let size = 0;
  for (const item of items) {
    if (!isAttr(item)) continue;
    const payload = Buffer.isBuffer(item.value) ? item.value.length : attrsSize(item.value);
    size += NLA_ALIGN(NLA_HDRLEN + payload);
  }
  return size;
}

/** Writes an attribute list into `out` at `offset`; returns the end offset. */
export function writeAttrs(items: readonly NlAttrItem[], out: Buffer, offset: number): number {
  for (const item of items) {
    if (!isAttr(item)) continue;
    const start = offset;
    offset += NLA_HDRLEN;
    if (Buffer.isBuffer(item.value)) {
      item.value.copy(out, offset);
      offset += item.value.length;
    } else {
      offset = writeAttrs(item.value, out, offset);
    }
    const length = offset - start;
    if (length > 0xffff) throw new RangeError(`netlink attribute ${item.type} too large (${length} bytes)`);
    out.writeUInt16LE(length, start);
    out.writeUInt16LE(item.type, start + 2);
    const padded = NLA_ALIGN(offset);
    out.fill(0, offset, padded);
    offset = padded;
  }
  return offset;
}

/** Encodes an attribute list into a new buffer. */
export function encodeAttrs(items: readonly NlAttrItem[]): Buffer {
  const out = Buffer.alloc(attrsSize(items));
  writeAttrs(items, out, 0);
  return out;
}

/** Decoded attributes of one message or nest, by type (flag bits masked off).
 * Values are views into the received buffer, not copies. */
export class AttrMap {
  private readonly byType = new Map<number, Buffer[]>();

  /** Parses attributes in buf[offset, end). Malformed trailing bytes stop the
   * parse rather than throw: the kernel never sends them, and what was read
   * before is still right. */
  constructor(buf: Buffer, offset = 0, end = buf.length) {
    while (offset + NLA_HDRLEN <= end) {
      const length = buf.readUInt16LE(offset);
      const type = buf.readUInt16LE(offset + 2) & NLA_TYPE_MASK;
      if (length < NLA_HDRLEN || offset + length > end) break;
      const value = buf.subarray(offset + NLA_HDRLEN, offset + length);
      const list = this.byType.get(type);
      if (list) list.push(value);
      else this.byType.set(type, [value]);
      offset += NLA_ALIGN(length);
    }
  }

  has(type: number): boolean {
    return this.byType.has(type);
  }
  /** Types present, in first-seen order. */
  types(): number[] {
    return [...this.byType.keys()];
  }
  /** Raw payload of the first attribute of this type. */
  get(type: number): Buffer | undefined {
    return this.byType.get(type)?.[0];
  }
  /** Every attribute of this type, in order (for repeated attributes). */
  all(type: number): Buffer[] {
    return this.byType.get(type) ?? [];
  }
  u8(type: number): number | undefined {
    const b = this.get(type);
    return b && b.length >= 1 ? b.readUInt8(0) : undefined;
  }
  u16(type: number): number | undefined {
    const b = this.get(type);
    return b && b.length >= 2 ? b.readUInt16LE(0) : undefined;
  }
  be16(type: number): number | undefined {
    const b = this.get(type);
    return b && b.length >= 2 ? b.readUInt16BE(0) : undefined;
  }
  u32(type: number): number | undefined {
    const b = this.get(type);
    return b && b.length >= 4 ? b.readUInt32LE(0) : undefined;
  }
  s32(type: number): number | undefined {
    const b = this.get(type);
    return b && b.length >= 4 ? b.readInt32LE(0) : undefined;
  }
  /** String without its terminating NUL. */
  str(type: number): string | undefined {
    const b = this.get(type);
    if (b === undefined) return undefined;
    const nul = b.indexOf(0);
    return b.toString("utf8", 0, nul === -1 ? b.length : nul);
  }
  nested(type: number): AttrMap | undefined {
    const b = this.get(type);
    return b === undefined ? undefined : new AttrMap(b);
  }
}
