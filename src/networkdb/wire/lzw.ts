/**
 * LZW exactly as Go's compress/lzw does it with order LSB and literal width 8,
 * which is what memberlist uses for its compress message (util.go
 * compressPayload: `lzw.NewWriter(&buf, lzw.LSB, 8)`).
 *
 * The encoder reproduces Go's bytes, not just a decodable stream, because cnm
 * must be byte-identical with Go peers (and the captures prove it). The rules
 * that matter (verified on the captured buffers, see vectors/README.md):
 *  - codes are packed LSB-first; CLEAR = 256, EOF = 257, first entry 258;
 *  - the stream starts with CLEAR (go1.19 writer), ends with EOF, and the last
 *    partial byte is zero-padded;
 *  - width starts at 9 bits and grows when the next free code reaches
 *    512/1024/2048; when it reaches 4095 the encoder emits CLEAR (still at 12
 *    bits) and starts over at 9 bits with an empty dictionary;
 *  - when closing, the pending code is written and the next-code counter is
 *    advanced before EOF is written, so EOF can be the first code of a wider
 *    width (or follow a CLEAR).
 *
 * The decoder follows Go's reader: a leading CLEAR is optional, a dictionary
 * that is full at 12 bits stops growing until the next CLEAR, a code above the
 * next free code is an error, and a stream without EOF is truncated.
 *
 * Both sides work on preallocated typed arrays with no per-byte allocation.
 */
import { WireError } from "./errors.js";

const LIT_WIDTH = 8;
const CLEAR = 1 << LIT_WIDTH; // 256
const EOF = CLEAR + 1; // 257
const MAX_WIDTH = 12;
const MAX_CODE = (1 << MAX_WIDTH) - 1; // 4095

/** Go's encoder hash table size (4 x 4096 slots; at most 3837 live entries). */
const TABLE_SIZE = 4 << MAX_WIDTH;
const TABLE_MASK = TABLE_SIZE - 1;

/** Default cap on decompressed output: memberlist's own limit on pushed state (10 MiB). */
export const DEFAULT_MAX_LZW_OUTPUT = 10 * 1024 * 1024;

// Shared scratch state. Encoding and decoding are synchronous, so one set of
// tables per module is safe and saves an allocation per call.
/** Encoder dictionary as an open-addressing hash: slot = (key << 12 | code), key = prefix << 8 | byte; 0 = empty. */
const encTable = new Uint32Array(TABLE_SIZE);
/** Decoder dictionary: entry c expands to expansion(prefix[c]) + suffix[c]. */
const decPrefix = new Uint16Array(1 << MAX_WIDTH);
const decSuffix = new Uint8Array(1 << MAX_WIDTH);
/** Length and first byte of each entry's expansion, so a code is written in place without a stack. */
const decLength = new Uint16Array(1 << MAX_WIDTH);
const decFirst = new Uint8Array(1 << MAX_WIDTH);

/** Compress `input` into a Go-compatible LZW (LSB, litWidth 8) stream. */
export function lzwEncode(input: Uint8Array): Uint8Array {
  // Upper bound: one code of at most 12 bits per input byte, plus the leading
  // CLEAR, one CLEAR per 3838 codes, the pending code and EOF.
  const maxCodes = input.length + 3 + Math.ceil(input.length / 3838);
  const out = new Uint8Array(Math.ceil((maxCodes * MAX_WIDTH) / 8) + 1);
  let o = 0;
  let bits = 0; // pending bits, fewer than 8 between writes
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = EOF; // last assigned code; the next code assigned is hi + 1
  let overflow = 1 << width;

  const write = (code: number): void => {
    bits |= code << nBits;
    nBits += width;
    while (nBits >= 8) {
      out[o++] = bits & 0xff;
      bits >>>= 8;
      nBits -= 8;
    }
  };
  /** Advance the next-code counter; returns true when the dictionary was reset. */
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = 1 << width;
      encTable.fill(0);
      return true;
    }
    return false;
  };

  encTable.fill(0);
  write(CLEAR);
  if (input.length === 0) {
    write(EOF);
  } else {
    let code = input[0]!;
    outer: for (let i = 1; i < input.length; i++) {
      const literal = input[i]!;
      const key = (code << 8) | literal;
      let h = ((key >>> 12) ^ key) & TABLE_MASK;
      for (let t = encTable[h]!; t !== 0; t = encTable[h]!) {
        if (t >>> 12 === key) {
          code = t & MAX_CODE;
          continue outer;
        }
        h = (h + 1) & TABLE_MASK;
      }
      // No entry for code+literal: emit code, literal starts the next string.
      write(code);
      code = literal;
      if (incHi()) continue;
      // h is the first empty slot of the probe sequence: record key -> hi there.
      encTable[h] = ((key << 12) | hi) >>> 0;
    }
    write(code);
    incHi();
    write(EOF);
  }
  if (nBits > 0) out[o++] = bits & 0xff;
  return out.slice(0, o);
}

/** Facts about one LZW stream, gathered while decoding it (used to compare with the annotated captures). */
export interface LzwStats {
  /** The first code of the stream (256 when it starts with CLEAR). */
  firstCode: number;
  /** Number of codes read, CLEAR and EOF included. */
  codes: number;
  /** Widest code width used, in bits (9..12). */
  maxWidth: number;
  /** CLEAR codes after the first code. */
  midstreamClears: number;
  /** Codes equal to the entry being defined (the "KwKwK" case). */
  kwkwk: number;
  /** Whether the stream ended with an EOF code (always true when decoding succeeds). */
  eof: boolean;
  /** Whole bytes left after the byte holding the last bit of EOF. */
  trailingBytes: number;
  /** Whether the unused high bits of the byte holding EOF's last bit are all zero. */
  finalPadZero: boolean;
}

export interface LzwDecodeOptions {
  /** Throw a "too-large" WireError rather than produce more bytes than this (default 10 MiB). */
  maxOutput?: number;
  /** When given, filled with statistics about the stream. */
  stats?: LzwStats;
}

/**
 * Decompress a Go-compatible LZW (LSB, litWidth 8) stream.
 * Throws WireError: "truncated" when the input ends before EOF, "malformed" on an
 * impossible code, "too-large" when the output would exceed `maxOutput`.
 */
export function lzwDecode(input: Uint8Array, options: LzwDecodeOptions = {}): Uint8Array {
  const maxOutput = options.maxOutput ?? DEFAULT_MAX_LZW_OUTPUT;
  const stats = options.stats;
  let out: Uint8Array = new Uint8Array(Math.min(maxOutput, Math.max(64, input.length * 4)));
  let o = 0;

  let pos = 0;
  let bits = 0;
  let nBits = 0;
  let width = LIT_WIDTH + 1;
  let hi = EOF; // next code to assign
  let overflow = 1 << width;
  let last = -1; // previous code, or -1 right after CLEAR / when the dictionary is full
  let codes = 0;
  let maxWidth = width;
  let midstreamClears = 0;
  let kwkwk = 0;
  let firstCode = -1;

  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) {
        throw new WireError("truncated", "LZW stream ends without an EOF code");
      }
      bits |= input[pos++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;
    codes++;
    if (firstCode < 0) firstCode = code;
    if (width > maxWidth) maxWidth = width;

    if (code === CLEAR) {
      if (codes > 1) midstreamClears++;
      width = LIT_WIDTH + 1;
      hi = EOF;
      overflow = 1 << width;
      last = -1;
      continue;
    }
    if (code === EOF) break;

    if (code < CLEAR) {
      if (o + 1 > out.length) out = grow(out, o, 1, maxOutput);
      out[o++] = code;
      if (last >= 0) addEntry(hi, last, code);
    } else if (code <= hi) {
      if (code === hi) {
        // KwKwK: the code being defined right now = expansion(last) + its first byte.
        if (last < 0) throw new WireError("malformed", `LZW code ${code} refers to an undefined entry`);
        kwkwk++;
        addEntry(hi, last, firstByte(last));
      } else if (last >= 0) {
        addEntry(hi, last, firstByte(code));
      }
      const len = decLength[code]!;
      if (o + len > out.length) out = grow(out, o, len, maxOutput);
      let c = code;
      let i = o + len - 1;
      while (c > EOF) {
        out[i--] = decSuffix[c]!;
        c = decPrefix[c]!;
      }
      out[i] = c;
      o += len;
    } else {
      throw new WireError("malformed", `invalid LZW code ${code} (next free code is ${hi})`);
    }

    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        // Dictionary full: it stops growing until the encoder sends CLEAR.
        last = -1;
        hi--;
      } else {
        width++;
        overflow <<= 1;
      }
    }
  }

  if (stats) {
    stats.firstCode = firstCode;
    stats.codes = codes;
    stats.maxWidth = maxWidth;
    stats.midstreamClears = midstreamClears;
    stats.kwkwk = kwkwk;
    stats.eof = true;
    stats.trailingBytes = input.length - pos;
    stats.finalPadZero = nBits === 0 || (bits & ((1 << nBits) - 1)) === 0;
  }
  return out.slice(0, o);
}

/** A larger output buffer holding the `used` bytes written so far, room for `n` more, within `max`. */
function grow(out: Uint8Array, used: number, n: number, max: number): Uint8Array {
  if (used + n > max) throw new WireError("too-large", `LZW output exceeds the ${max}-byte limit`);
  let size = Math.max(64, out.length * 2);
  while (size < used + n) size *= 2;
  const grown = new Uint8Array(Math.min(size, max));
  grown.set(out.subarray(0, used));
  return grown;
}

function firstByte(code: number): number {
  return code < CLEAR ? code : decFirst[code]!;
}

function addEntry(slot: number, prefix: number, suffix: number): void {
  decPrefix[slot] = prefix;
  decSuffix[slot] = suffix;
  decLength[slot] = (prefix < CLEAR ? 1 : decLength[prefix]!) + 1;
  decFirst[slot] = firstByte(prefix);
}
