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
 * Parse dotted-quad IPv4 ("172.18.0.2") into a number, or undefined.
 * Leading zeros are refused ("010" could be read as octal by other tools).
 */
export function parseIPv4(s: string): number | undefined {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
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

/** Parse 1..4 hex digits at s[from, to) into a group, or -1. */
function parseGroup(s: string, from: number, to: number): number {
  const len = to - from;
  if (len < 1 || len > 4) return -1;
  let g = 0;
  for (let i = from; i < to; i++) {
    const d = hexDigit(s.charCodeAt(i));
    if (d < 0) return -1;
    g = g * 16 + d;
  }
  return g;
}

/**
 * Parse the groups of one side of "::" (or the whole address) into `out`,
 * returning how many 16-bit groups were written, or -1. A dotted IPv4 tail
 * is accepted as the last two groups when `allowV4Tail`.
 */
function parseGroups(s: string, out: number[], allowV4Tail: boolean): number {
  if (s.length === 0) return 0;
  let start = 0;
  let count = 0;
  for (;;) {
    const colon = s.indexOf(":", start);
    const end = colon < 0 ? s.length : colon;
    if (colon < 0 && allowV4Tail && s.indexOf(".", start) >= 0) {
      const v4 = parseIPv4(s.slice(start));
      if (v4 === undefined) return -1;
      out.push(Math.floor(v4 / 65536), v4 & 0xffff);
      return count + 2;
    }
    const g = parseGroup(s, start, end);
    if (g < 0) return -1;
    out.push(g);
    count++;
    if (colon < 0) return count;
    start = colon + 1;
  }
}

/** Parse textual IPv6 into eight 16-bit groups, or undefined. Zones ("%eth0") are refused. */
export function parseIPv6Groups(s: string): number[] | undefined {
  if (s.length < 2 || s.length > 45 || s.indexOf("%") >= 0) return undefined;
  const dc = s.indexOf("::");
  const groups: number[] = [];
  if (dc < 0) {
    if (parseGroups(s, groups, true) !== 8) return undefined;
    return groups;
  }
  if (s.indexOf("::", dc + 1) >= 0) return undefined;
  const head: number[] = [];
  const tail: number[] = [];
  const h = parseGroups(s.slice(0, dc), head, false);
  const t = parseGroups(s.slice(dc + 2), tail, true);
  // "::" stands for at least one zero group.
  if (h < 0 || t < 0 || h + t > 7) return undefined;
  groups.push(...head);
  for (let i = h + t; i < 8; i++) groups.push(0);
  groups.push(...tail);
  return groups;
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
  let s = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += "::";
      i += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(":")) s += ":";
    s += g[i]!.toString(16);
  }
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
