/**
 * Parsing and formatting of IPv4 and IPv6 addresses, written for the hot
 * path: IPv4 stays in plain numbers (never BigInt), IPv6 is a BigInt only
 * where arithmetic over the full 128 bits is needed (pool bookkeeping), and
 * addresses handed out are formatted from 16-bit groups plus a number offset.
 */

export type IpFamily = 4 | 6;

/** An address of either family; IPv4 values are < 2^32. */
export interface IpValue {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** Bits in an address of the family. */
export function familyWidth(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/**
 * Parse dotted-quad IPv4 ("172.18.0.2") in s[from, end) into a number, or
 * undefined. Leading zeros are refused ("010" could be read as octal by
 * other tools). The bounds let callers skip a "/len" without slicing.
 */
export function parseIPv4(s: string, from = 0, end = s.length): number | undefined {
  const n = end - from;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined;
      part = part * 10 + (c - 48);
      if (part > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

export function formatIPv4(n: number): string {
  return (n >>> 24) + "." + ((n >>> 16) & 255) + "." + ((n >>> 8) & 255) + "." + (n & 255);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parse textual IPv6 in s[0, end) into eight 16-bit groups written to
 * `out`, in one pass and without allocating (the release path parses every
 * address it is given). Accepts "::" once and a dotted IPv4 tail; refuses
 * zones ("%eth0"). Returns false, with `out` in an unspecified state, if the
 * text is not IPv6.
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

/** Parse textual IPv6 into eight 16-bit groups, or undefined. */
export function parseIPv6Groups(s: string): number[] | undefined {
  const out = new Array<number>(8);
  return parseIPv6Into(s, out) ? out : undefined;
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

export function parseIPv6(s: string): bigint | undefined {
  const g = parseIPv6Groups(s);
  return g === undefined ? undefined : groupsToBigInt(g);
}

/**
 * Format eight 16-bit groups the RFC 5952 way: lowercase, no leading zeros,
 * the longest run (first on a tie) of two or more zero groups as "::", and
 * IPv4-mapped addresses with a dotted tail.
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

/** Parse an address of either family. IPv4-mapped IPv6 stays IPv6 here; callers unmap if they wish. */
export function parseIp(s: string): IpValue | undefined {
  if (s.indexOf(":") < 0) {
    const v4 = parseIPv4(s);
    return v4 === undefined ? undefined : { family: 4, value: BigInt(v4) };
  }
  const v6 = parseIPv6(s);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

export function formatIp(ip: IpValue): string {
  return ip.family === 4 ? formatIPv4(Number(ip.value)) : formatIPv6(ip.value);
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** If `v` is an IPv4-mapped IPv6 address (::ffff:a.b.c.d), its IPv4 value; else undefined. */
export function unmapIPv4(v: bigint): number | undefined {
  return v >> 32n === 0xffffn ? Number(v - MAPPED_PREFIX) : undefined;
}

const TWO_32 = 4294967296;

/**
 * Formats `base + offset` for IPv6 without BigInt: the base is kept as eight
 * 16-bit groups and the offset (< 2^53) is added into the low four groups
 * with carries. This is what keeps handing out IPv6 addresses cheap.
 */
export class IPv6OffsetFormatter {
  private readonly base: Uint32Array;
  private readonly scratch = new Uint32Array(8);

  constructor(base: bigint) {
    this.base = Uint32Array.from(bigIntToGroups(base));
  }

  format(offset: number): string {
    const g = this.scratch;
    const b = this.base;
    const hi = Math.floor(offset / TWO_32);
    const lo = offset - hi * TWO_32;
    // Add the offset's four 16-bit pieces, low group first, carrying upwards.
    let sum = b[7]! + (lo & 0xffff);
    g[7] = sum & 0xffff;
    sum = b[6]! + (lo >>> 16) + (sum >>> 16);
    g[6] = sum & 0xffff;
    sum = b[5]! + (hi & 0xffff) + (sum >>> 16);
    g[5] = sum & 0xffff;
    sum = b[4]! + (hi >>> 16) + (sum >>> 16);
    g[4] = sum & 0xffff;
    for (let i = 3; i >= 0; i--) {
      sum = b[i]! + (sum >>> 16);
      g[i] = sum & 0xffff;
    }
    // Overflow past the top group cannot happen: callers stay inside their pool.
    return formatIPv6Groups(g);
  }
}

/**
 * `g - base` for two addresses given as eight 16-bit groups, as a number,
 * when 0 <= difference < 2^53; otherwise -1. Lets the hot path map an IPv6
 * address to its offset in a pool without BigInt.
 */
export function groupsOffsetFrom(g: ArrayLike<number>, base: ArrayLike<number>): number {
  let borrow = 0;
  let d4 = 0;
  let d5 = 0;
  let d6 = 0;
  let d7 = 0;
  for (let i = 7; i >= 0; i--) {
    let x = g[i]! - base[i]! - borrow;
    borrow = x < 0 ? 1 : 0;
    if (x < 0) x += 65536;
    if (i < 4) {
      if (x !== 0) return -1;
    } else if (i === 4) d4 = x;
    else if (i === 5) d5 = x;
    else if (i === 6) d6 = x;
    else d7 = x;
  }
  // A final borrow means g < base; 2^53 needs d4 < 2^5.
  if (borrow !== 0 || d4 >= 32) return -1;
  return ((d4 * 65536 + d5) * 65536 + d6) * 65536 + d7;
}
