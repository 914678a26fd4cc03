/**
 * msgpack the way hashicorp/go-msgpack's MsgpackHandle (old spec) writes it,
 * which is what memberlist puts on the wire.
 *
 * Why hand-written instead of @msgpack/msgpack: that library writes the new
 * spec (str8 0xd9 for 32..255-byte strings, bin 0xc4..0xc6 for byte arrays),
 * which go-msgpack's old-spec encoder never produces, and has no option to
 * write the old spec (checked against v3's EncoderOptions: a 40-byte string
 * comes out as d9 28, Go writes da 00 28), so its output could not be
 * byte-identical with Go's and the captured vectors. On the decoding side we
 * need the exact end offset of each value (push/pull streams carry raw bytes
 * right after the msgpack maps), typed raw handling (the same raw form is a
 * string for `Node` and bytes for `Addr`), and a strict typed error for every
 * malformation; a small reader for the handful of forms memberlist uses is
 * simpler and safer than adapting a general decoder. (So cnm does not depend
 * on @msgpack/msgpack at all.)
 *
 * Writer (old spec, smallest form): fixmap/map16/map32; raw as fixraw
 * 0xa0-0xbf, raw16 0xda, raw32 0xdb for both strings and bytes; nil 0xc0;
 * booleans 0xc2/0xc3; non-negative integers as positive fixint or uint8..64,
 * negative ones as negative fixint or int8..64.
 *
 * Reader: accepts the above plus the new-spec forms a newer peer may send
 * (str8 0xd9, bin8/16/32), and can skip any well-formed value (arrays, floats,
 * ext) so unknown map keys are ignored the way Go's struct decoding ignores them.
 */
import { ByteWriter } from "./byte-writer.js";
import { WireError } from "./errors.js";
import { decodeUtf8 } from "./utf8.js";

const utf8Encoder = new TextEncoder();

/** Nesting limit when skipping unknown values, so hostile input cannot exhaust the stack. */
const MAX_SKIP_DEPTH = 32;

/** Encoder for old-spec msgpack values, on top of a ByteWriter. */
export class MsgpackWriter {
  constructor(readonly out: ByteWriter = new ByteWriter()) {}

  nil(): void {
    this.out.u8(0xc0);
  }

  bool(v: boolean): void {
    this.out.u8(v ? 0xc3 : 0xc2);
  }

  mapHeader(n: number): void {
    if (n < 16) this.out.u8(0x80 | n);
    else if (n <= 0xffff) {
      this.out.u8(0xde);
      this.out.u16(n);
    } else {
      this.out.u8(0xdf);
      this.out.u32(n);
    }
  }

  /** A raw (old-spec string/bytes) value, or nil for null. */
  raw(b: Uint8Array | null): void {
    if (b === null) return this.nil();
    const n = b.length;
    if (n < 32) this.out.u8(0xa0 | n);
    else if (n <= 0xffff) {
      this.out.u8(0xda);
      this.out.u16(n);
    } else if (n <= 0xffffffff) {
      this.out.u8(0xdb);
      this.out.u32(n);
    } else {
      throw new WireError("invalid-value", `raw value of ${n} bytes is too long for msgpack`);
    }
    this.out.bytes(b);
  }

  str(s: string): void {
    // Fast path for the short ASCII strings memberlist is made of (field and
    // node names): the bytes are the char codes, no TextEncoder round trip.
    const n = s.length;
    if (n < 32 && isShortAscii(s)) {
      this.out.u8(0xa0 | n);
      for (let i = 0; i < n; i++) this.out.u8(s.charCodeAt(i));
      return;
    }
    this.raw(utf8Encoder.encode(s));
  }

  /** An integer in its smallest form (unsigned forms for values >= 0, as go-msgpack does). */
  int(v: number): void {
    if (!Number.isSafeInteger(v)) throw new WireError("invalid-value", `not a safe integer: ${v}`);
    if (v >= 0) {
      if (v < 0x80) this.out.u8(v);
      else if (v <= 0xff) {
        this.out.u8(0xcc);
        this.out.u8(v);
      } else if (v <= 0xffff) {
        this.out.u8(0xcd);
        this.out.u16(v);
      } else if (v <= 0xffffffff) {
        this.out.u8(0xce);
        this.out.u32(v);
      } else {
        this.out.u8(0xcf);
        this.out.u64(v);
      }
    } else if (v >= -32) {
      this.out.u8(v & 0xff);
    } else if (v >= -0x80) {
      this.out.u8(0xd0);
      this.out.i8(v);
    } else if (v >= -0x8000) {
      this.out.u8(0xd1);
      this.out.i16(v);
    } else if (v >= -0x80000000) {
      this.out.u8(0xd2);
      this.out.i32(v);
    } else {
      this.out.u8(0xd3);
      this.out.i64(v);
    }
  }
}

/** Decoder over a byte array; `pos` is the offset of the next unread byte. */
export class MsgpackReader {
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    offset = 0,
  ) {
    this.pos = offset;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new WireError("truncated", `msgpack: input ends inside ${what}`);
    }
  }

  private byte(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  private uint(size: 1 | 2 | 4 | 8, what: string): number {
    this.need(size, what);
    const p = this.pos;
    this.pos += size;
    switch (size) {
      case 1:
        return this.view.getUint8(p);
      case 2:
        return this.view.getUint16(p);
      case 4:
        return this.view.getUint32(p);
      case 8: {
        const v = this.view.getBigUint64(p);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError("malformed", `msgpack: ${what} ${v} is too large`);
        return Number(v);
      }
    }
  }

  private sint(size: 1 | 2 | 4 | 8, what: string): number {
    this.need(size, what);
    const p = this.pos;
    this.pos += size;
    switch (size) {
      case 1:
        return this.view.getInt8(p);
      case 2:
        return this.view.getInt16(p);
      case 4:
        return this.view.getInt32(p);
      case 8: {
        const v = this.view.getBigInt64(p);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new WireError("malformed", `msgpack: ${what} ${v} is out of range`);
        }
        return Number(v);
      }
    }
  }

  /** True when every byte has been consumed. */
  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Read a map header (fixmap, map16, map32) and return its entry count. */
  mapHeader(): number {
    const b = this.byte("map header");
    if ((b & 0xf0) === 0x80) return b & 0x0f;
    if (b === 0xde) return this.uint(2, "map16 length");
    if (b === 0xdf) return this.uint(4, "map32 length");
    throw new WireError("malformed", `msgpack: expected a map, found byte 0x${hex(b)}`);
  }

  /** Read a raw/str/bin value as bytes, or null for nil. The result is a view into the input. */
  rawOrNil(what = "raw"): Uint8Array | null {
    const b = this.byte(what);
    let n: number;
    if ((b & 0xe0) === 0xa0) n = b & 0x1f;
    else if (b === 0xc0) return null;
    else if (b === 0xd9 || b === 0xc4) n = this.uint(1, `${what} length`);
    else if (b === 0xda || b === 0xc5) n = this.uint(2, `${what} length`);
    else if (b === 0xdb || b === 0xc6) n = this.uint(4, `${what} length`);
    else throw new WireError("malformed", `msgpack: expected ${what} bytes, found byte 0x${hex(b)}`);
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Read a string; nil decodes to "" as in Go. */
  str(what = "string"): string {
    const raw = this.rawOrNil(what);
    if (raw === null) return "";
    return decodeUtf8(raw);
  }

  /** Read any integer form; nil decodes to 0 as in Go. */
  int(what = "integer"): number {
    const b = this.byte(what);
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    switch (b) {
      case 0xc0:
        return 0;
      case 0xcc:
        return this.uint(1, what);
      case 0xcd:
        return this.uint(2, what);
      case 0xce:
        return this.uint(4, what);
      case 0xcf:
        return this.uint(8, what);
      case 0xd0:
        return this.sint(1, what);
      case 0xd1:
        return this.sint(2, what);
      case 0xd2:
        return this.sint(4, what);
      case 0xd3:
        return this.sint(8, what);
      default:
        throw new WireError("malformed", `msgpack: expected ${what} as an integer, found byte 0x${hex(b)}`);
    }
  }

  /** Read a boolean; nil decodes to false as in Go. */
  bool(what = "boolean"): boolean {
    const b = this.byte(what);
    if (b === 0xc3) return true;
    if (b === 0xc2 || b === 0xc0) return false;
    throw new WireError("malformed", `msgpack: expected ${what} as a boolean, found byte 0x${hex(b)}`);
  }

  /** Skip one complete value of any type. */
  skip(depth = 0): void {
    if (depth > MAX_SKIP_DEPTH) throw new WireError("malformed", "msgpack: values nested too deeply");
    const b = this.byte("value");
    if (b < 0x80 || b >= 0xe0) return; // fixints
    if ((b & 0xf0) === 0x80) return this.skipEntries((b & 0x0f) * 2, depth);
    if ((b & 0xf0) === 0x90) return this.skipEntries(b & 0x0f, depth);
    if ((b & 0xe0) === 0xa0) return this.skipBytes(b & 0x1f);
    switch (b) {
      case 0xc0:
      case 0xc2:
      case 0xc3:
        return;
      case 0xc4:
      case 0xd9:
        return this.skipBytes(this.uint(1, "length"));
      case 0xc5:
      case 0xda:
        return this.skipBytes(this.uint(2, "length"));
      case 0xc6:
      case 0xdb:
        return this.skipBytes(this.uint(4, "length"));
      case 0xc7:
        return this.skipBytes(this.uint(1, "ext length") + 1);
      case 0xc8:
        return this.skipBytes(this.uint(2, "ext length") + 1);
      case 0xc9:
        return this.skipBytes(this.uint(4, "ext length") + 1);
      case 0xca:
        return this.skipBytes(4);
      case 0xcb:
        return this.skipBytes(8);
      case 0xcc:
      case 0xd0:
        return this.skipBytes(1);
      case 0xcd:
      case 0xd1:
        return this.skipBytes(2);
      case 0xce:
      case 0xd2:
        return this.skipBytes(4);
      case 0xcf:
      case 0xd3:
        return this.skipBytes(8);
      case 0xd4:
        return this.skipBytes(2);
      case 0xd5:
        return this.skipBytes(3);
      case 0xd6:
        return this.skipBytes(5);
      case 0xd7:
        return this.skipBytes(9);
      case 0xd8:
        return this.skipBytes(17);
      case 0xdc:
        return this.skipEntries(this.uint(2, "array length"), depth);
      case 0xdd:
        return this.skipEntries(this.uint(4, "array length"), depth);
      case 0xde:
        return this.skipEntries(this.uint(2, "map length") * 2, depth);
      case 0xdf:
        return this.skipEntries(this.uint(4, "map length") * 2, depth);
      default:
        throw new WireError("malformed", `msgpack: invalid type byte 0x${hex(b)}`);
    }
  }

  private skipBytes(n: number): void {
    this.need(n, "value");
    this.pos += n;
  }

  private skipEntries(n: number, depth: number): void {
    // Every value takes at least one byte: a count larger than what is left cannot be valid.
    if (n > this.buf.length - this.pos) throw new WireError("truncated", "msgpack: input ends inside a container");
    for (let i = 0; i < n; i++) this.skip(depth + 1);
  }
}

/** True when every char of `s` is ASCII (one UTF-8 byte each). */
function isShortAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
