/**
 * IPv6 "base + offset" without BigInt, for IPAM's hot path: a pool's first
 * address is kept as 16-bit groups and the offset of an address in it (a
 * number < 2^53) is added to or taken from the low four groups with carries.
 */
import { bigIntToGroups, formatIPv6Groups } from "./ipv6.js";

const TWO_32 = 4294967296;

/** Formats `base + offset` for IPv6; what keeps handing out IPv6 addresses cheap. */
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
