/**
 * IPv6 text <-> eight 16-bit groups <-> a BigInt. The groups are the working
 * form (parsing fills them without allocating, formatting reads them); a
 * BigInt is made only where arithmetic over all 128 bits is needed.
 */
import { formatIPv4, parseIPv4 } from "./ipv4.js";

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses textual IPv6 in s[0, end) into eight 16-bit groups written to
 * `out`, in one pass and without allocating (IPAM's release path parses
 * every address it is given). Accepts "::" once and a dotted IPv4 tail;
 * refuses zones ("%eth0"): an address with a zone names a link, not a host.
 * Returns false, with `out` in an unspecified state, if the text is not IPv6.
 */
export function parseIPv6Into(s: string, out: { [i: number]: number }, end = s.length): boolean {
  const n = end;
  if (n < 2 || n > 45) return false;
  let count = 0;
  let gap = -1; // group index where "::" stands
  let i = 0;
  if (s.charCodeAt(0) === 58 /* : */) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const start = i;
    let value = 0;
    for (; i < n; i++) {
      const d = hexDigit(s.charCodeAt(i));
      if (d < 0) break;
      value = value * 16 + d;
    }
    if (i < n && s.charCodeAt(i) === 46 /* . */) {
      // Dotted IPv4 tail: the last two groups.
      if (count > 6) return false;
      const v4 = parseIPv4(s, start, n);
      if (v4 === undefined) return false;
      out[count++] = Math.floor(v4 / 65536);
      out[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    const digits = i - start;
    if (digits === 0 || digits > 4 || count >= 8) return false;
    out[count++] = value;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === n) {
      return false; // a single trailing colon
    }
  }
  if (gap < 0) return count === 8;
  // "::" stands for at least one zero group: move the tail to the end.
  if (count >= 8) return false;
  const shift = 8 - count;
  for (let j = count - 1; j >= gap; j--) out[j + shift] = out[j]!;
  for (let j = gap; j < gap + shift; j++) out[j] = 0;
  return true;
}

/** Parses textual IPv6 into eight 16-bit groups, or undefined. */
function parseIPv6Groups(s: string): number[] | undefined {
  const out = new Array<number>(8);
  return parseIPv6Into(s, out) ? out : undefined;
}

export function parseIPv6(s: string): bigint | undefined {
  const g = parseIPv6Groups(s);
  return g === undefined ? undefined : groupsToBigInt(g);
}

export function groupsToBigInt(g: ArrayLike<number>): bigint {
  // Four 32-bit halves built from numbers keep the BigInt operations few.
  const w0 = BigInt(g[0]! * 65536 + g[1]!);
  const w1 = BigInt(g[2]! * 65536 + g[3]!);
  const w2 = BigInt(g[4]! * 65536 + g[5]!);
  const w3 = BigInt(g[6]! * 65536 + g[7]!);
  return (w0 << 96n) | (w1 << 64n) | (w2 << 32n) | w3;
}

export function bigIntToGroups(v: bigint): number[] {
  const out = new Array<number>(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffffn);
    v >>= 16n;
  }
  return out;
}

/**
 * Formats eight 16-bit groups the RFC 5952 way: lowercase, no leading zeros,
 * the longest run (the first on a tie) of two or more zero groups as "::",
 * and IPv4-mapped addresses (::ffff:a.b.c.d) with a dotted tail (section 5).
 * Other embedded forms, such as the deprecated IPv4-compatible ::a.b.c.d,
 * are plain hex, as Go's net/netip and the WHATWG URL parser print them.
 */
export function formatIPv6Groups(g: ArrayLike<number>): string {
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return "::ffff:" + formatIPv4(g[6]! * 65536 + g[7]!);
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return joinGroups(g, 0, 8);
  return joinGroups(g, 0, bestStart) + "::" + joinGroups(g, bestStart + bestLen, 8);
}

// Hex through tables rather than Number#toString(16): formatting is most of
// the cost of handing out an IPv6 address.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16));
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hexGroup(v: number): string {
  return v < 256 ? HEX[v]! : HEX[v >>> 8]! + HEX2[v & 255]!;
}

function joinGroups(g: ArrayLike<number>, from: number, to: number): string {
  if (from >= to) return "";
  let s = hexGroup(g[from]!);
  for (let i = from + 1; i < to; i++) s += ":" + hexGroup(g[i]!);
  return s;
}

export function formatIPv6(v: bigint): string {
  return formatIPv6Groups(bigIntToGroups(v));
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** If `v` is an IPv4-mapped IPv6 address (::ffff:a.b.c.d), its IPv4 value; else undefined. */
export function unmapIPv4(v: bigint): number | undefined {
  return v >> 32n === 0xffffn ? Number(v - MAPPED_PREFIX) : undefined;
}
