/**
 * One allocated pool: which of its addresses are taken, and the cursor that
 * makes dynamic allocation serial.
 *
 * Addresses are tracked in a SparseBitmap indexed by "window offset". The
 * window is the whole pool when the pool has at most 2^53 addresses (every
 * IPv4 pool, IPv6 from /75 up); for larger IPv6 pools it is the 2^53
 * addresses starting at the sub-pool (or pool) start, which is more than
 * dynamic allocation can ever use. Preferred addresses of such a pool that
 * fall outside the window are kept in a small set of BigInt offsets.
 */
import {
  AddressInUseError,
  AddressOutOfRangeError,
  InvalidAddressError,
  InvalidRequestError,
  PoolExhaustedError,
} from "../ipamapi/errors.js";
import {
  IPv6OffsetFormatter,
  type Prefix,
  bigIntToGroups,
  formatIPv4,
  formatIPv6,
  groupsOffsetFrom,
  groupsToBigInt,
  hostBits,
  parseIPv4,
  parseIPv6,
  parseIPv6Into,
  prefixContains,
  prefixSize,
  prefixToString,
  unmapIPv4,
} from "../inet/index.js";
import { parseIpamCidr } from "./cidr.js";
import { MAX_BITMAP_SIZE, SparseBitmap } from "./sparse-bitmap.js";
import { type PoolState, decodeRuns, encodeRuns, subtractPoints } from "./state.js";

const WINDOW_MAX = BigInt(MAX_BITMAP_SIZE);

/** The pool id: libnetwork's "<space>/<pool>[/<subPool>]" form. */
export function makePoolId(addressSpace: string, pool: Prefix, subPool: Prefix | undefined): string {
  const base = `${addressSpace}/${prefixToString(pool)}`;
  return subPool === undefined ? base : `${base}/${prefixToString(subPool)}`;
}

export class AddressPool {
  readonly id: string;
  /** The pool as canonical CIDR, e.g. "172.18.0.0/16". */
  readonly cidr: string;
  /** The sub-pool (ip-range) as canonical CIDR, if any. */
  readonly range: string | undefined;

  private readonly suffix: string;
  private readonly poolSize: bigint;
  /** Pool offset of window offset 0. */
  private readonly windowStart: bigint;
  private readonly windowSize: number;
  private readonly bitmap: SparseBitmap;
  /** Dynamic allocation range, in window offsets [rangeLo, rangeHi). */
  private readonly rangeLo: number;
  private readonly rangeHi: number;
  /** Set bits inside the range, reserved ones included: O(1) exhaustion check. */
  private rangeUsed = 0;
  private cursor: number;
  /** Window offsets that are reserved (network, broadcast, subnet-router anycast). */
  private readonly reservedOffsets: number[] = [];
  /** Whether pool offset 0 is reserved (it may lie outside the window of a huge IPv6 pool). */
  private readonly firstReserved: boolean;
  private readonly outliers = new Set<bigint>();
  private outlierHit = 0n;
  private readonly v4Base: number;
  private v4HeadKey = -1;
  private v4HeadText = "";
  /** "0/<len>" .. "255/<len>" (IPv4 only). */
  private readonly v4Tails: string[] | undefined;
  private readonly v6Format: IPv6OffsetFormatter | undefined;
  /** The address at window offset 0 as 16-bit groups (IPv6 only). */
  private readonly v6WindowBase: number[] | undefined;
  private readonly scratchGroups = new Uint32Array(8);

  constructor(
    readonly addressSpace: string,
    readonly prefix: Prefix,
    readonly subPool: Prefix | undefined,
  ) {
    if (subPool !== undefined && !prefixContains(prefix, subPool)) {
      throw new InvalidRequestError(`sub-pool ${prefixToString(subPool)} is not inside pool ${prefixToString(prefix)}`);
    }
    this.id = makePoolId(addressSpace, prefix, subPool);
    this.cidr = prefixToString(prefix);
    this.range = subPool === undefined ? undefined : prefixToString(subPool);
    this.suffix = `/${prefix.bits}`;
    this.poolSize = prefixSize(prefix);

    const subOffset = subPool === undefined ? 0n : subPool.addr - prefix.addr;
    const subSize = subPool === undefined ? this.poolSize : prefixSize(subPool);
    if (this.poolSize <= WINDOW_MAX) {
      this.windowStart = 0n;
      this.windowSize = Number(this.poolSize);
      this.rangeLo = Number(subOffset);
      this.rangeHi = this.rangeLo + Number(subSize);
    } else {
      const rest = this.poolSize - subOffset;
      this.windowStart = subOffset;
      this.windowSize = Number(rest < WINDOW_MAX ? rest : WINDOW_MAX);
      this.rangeLo = 0;
      this.rangeHi = Number(subSize < WINDOW_MAX ? subSize : WINDOW_MAX);
    }
    this.bitmap = new SparseBitmap(this.windowSize);
    this.cursor = this.rangeLo;

    // Linux and Docker: IPv4 pools lose their network and broadcast address
    // unless they are /31 (RFC 3021 point-to-point) or /32; IPv6 pools lose
    // their subnet-router anycast address (RFC 4291), except /127 (RFC 6164)
    // and /128 where it would leave nothing or break the link.
    const reserveEdges = hostBits(prefix) >= 2;
    this.firstReserved = reserveEdges;
    if (reserveEdges && this.windowStart === 0n) this.reserve(0);
    if (reserveEdges && prefix.family === 4) this.reserve(this.windowSize - 1);

    this.v4Base = prefix.family === 4 ? Number(prefix.addr) : 0;
    this.v4Tails = prefix.family === 4 ? Array.from({ length: 256 }, (_, i) => `${i}${this.suffix}`) : undefined;
    this.v6Format = prefix.family === 6 ? new IPv6OffsetFormatter(prefix.addr + this.windowStart) : undefined;
    this.v6WindowBase = prefix.family === 6 ? bigIntToGroups(prefix.addr + this.windowStart) : undefined;
  }

  private reserve(offset: number): void {
    this.bitmap.set(offset);
    this.reservedOffsets.push(offset);
    if (offset >= this.rangeLo && offset < this.rangeHi) this.rangeUsed++;
  }

  private isReserved(offset: number): boolean {
    const r = this.reservedOffsets;
    return (r.length > 0 && r[0] === offset) || (r.length > 1 && r[1] === offset);
  }

  /** Addresses handed out (reserved ones not counted). */
  get allocatedCount(): number {
    return this.bitmap.count - this.reservedOffsets.length + this.outliers.size;
  }

  /** Addresses the dynamic range can hand out in total (reserved ones excluded). */
  get rangeCapacity(): number {
    let reservedInRange = 0;
    for (const r of this.reservedOffsets) if (r >= this.rangeLo && r < this.rangeHi) reservedInRange++;
    return this.rangeHi - this.rangeLo - reservedInRange;
  }

  /** Materialised bitmap blocks (memory accounting). */
  get blockCount(): number {
    return this.bitmap.blockCount;
  }

  private format(offset: number): string {
    return this.v6Format === undefined ? formatIPv4(this.v4Base + offset) : this.v6Format.format(offset);
  }

  /**
   * The address at `offset` with the pool's prefix length. For IPv4 this is
   * one concatenation: the first three octets are cached (they change every
   * 256 addresses) and "<last octet>/<len>" comes from a table, where
   * building the dotted quad each time made most of the garbage.
   */
  private formatWithSuffix(offset: number): string {
    if (this.v6Format !== undefined) return this.v6Format.format(offset) + this.suffix;
    const n = this.v4Base + offset;
    const head = n >>> 8;
    if (head !== this.v4HeadKey) {
      this.v4HeadKey = head;
      this.v4HeadText = (n >>> 24) + "." + ((n >>> 16) & 255) + "." + ((n >>> 8) & 255) + ".";
    }
    return this.v4HeadText + this.v4Tails![n & 255]!;
  }

  /**
   * Take a free address of the range. Serial: the first free one at or after
   * the cursor, wrapping around, then move the cursor past it, so a released
   * address comes back only after the rest of the range was tried (no stale
   * ARP/ND entries pointing at a new owner). Otherwise: the lowest free one.
   * Returns the address with the pool's prefix length.
   */
  allocateAny(serial: boolean): string {
    const lo = this.rangeLo;
    const hi = this.rangeHi;
    if (this.rangeUsed >= hi - lo) throw new PoolExhaustedError(this.cidr, this.range);
    const start = serial ? this.cursor : lo;
    let offset = this.bitmap.findFree(start, hi);
    if (offset < 0) offset = this.bitmap.findFree(lo, start);
    // Found for sure: rangeUsed < range size means a clear bit exists.
    this.bitmap.set(offset);
    this.rangeUsed++;
    if (serial) this.cursor = offset + 1 === hi ? lo : offset + 1;
    return this.formatWithSuffix(offset);
  }

  /** Take exactly `address` (anywhere in the pool, not only the range). */
  allocate(address: string): string {
    const offset = this.locate(address);
    if (offset < 0) {
      const poolOffset = this.outlierHit;
      const text = formatIPv6(this.prefix.addr + poolOffset);
      if (poolOffset === 0n && this.firstReserved) throw new AddressInUseError(text, this.cidr, "reserved");
      if (this.outliers.has(poolOffset)) throw new AddressInUseError(text, this.cidr);
      this.outliers.add(poolOffset);
      return text + this.suffix;
    }
    if (this.isReserved(offset)) throw new AddressInUseError(this.format(offset), this.cidr, "reserved");
    if (!this.bitmap.set(offset)) throw new AddressInUseError(this.format(offset), this.cidr);
    if (offset >= this.rangeLo && offset < this.rangeHi) this.rangeUsed++;
    return this.formatWithSuffix(offset);
  }

  /**
   * Give `address` back. Releasing an address that is not allocated, or a
   * reserved one, changes nothing: releases may be replayed after a restart.
   */
  release(address: string): void {
    const offset = this.locate(address);
    if (offset < 0) {
      this.outliers.delete(this.outlierHit);
      return;
    }
    if (this.isReserved(offset)) return;
    if (this.bitmap.clear(offset) && offset >= this.rangeLo && offset < this.rangeHi) this.rangeUsed--;
  }

  /** Whether `address` is handed out (reserved addresses are not). */
  isAllocated(address: string): boolean {
    const offset = this.locate(address);
    if (offset < 0) return this.outliers.has(this.outlierHit);
    return !this.isReserved(offset) && this.bitmap.has(offset);
  }

  /**
   * The window offset of `address` (a bare IP, or a CIDR whose length is
   * ignored), or -1 for an address of the pool outside the window, whose
   * pool offset is then left in `outlierHit`. Throws InvalidAddressError or
   * AddressOutOfRangeError.
   */
  private locate(address: string): number {
    const slash = address.indexOf("/");
    const end = slash < 0 ? address.length : slash;
    if (this.prefix.family === 4) {
      let v = parseIPv4(address, 0, end);
      if (v === undefined) {
        const v6 = parseIPv6(address.slice(0, end));
        if (v6 === undefined) throw new InvalidAddressError(address);
        v = unmapIPv4(v6);
        if (v === undefined) throw new AddressOutOfRangeError(address, this.cidr);
      }
      const offset = v - this.v4Base;
      if (offset < 0 || offset >= this.windowSize) throw new AddressOutOfRangeError(address, this.cidr);
      return offset;
    }
    const groups = this.scratchGroups;
    if (!parseIPv6Into(address, groups, end)) {
      if (parseIPv4(address, 0, end) !== undefined) throw new AddressOutOfRangeError(address, this.cidr);
      throw new InvalidAddressError(address);
    }
    // Fast path without BigInt: inside the window.
    const fast = groupsOffsetFrom(groups, this.v6WindowBase!);
    if (fast >= 0 && fast < this.windowSize) return fast;
    const poolOffset = groupsToBigInt(groups) - this.prefix.addr;
    if (poolOffset < 0n || poolOffset >= this.poolSize) throw new AddressOutOfRangeError(address, this.cidr);
    const w = poolOffset - this.windowStart;
    if (w >= 0n && w < BigInt(this.windowSize)) return Number(w);
    this.outlierHit = poolOffset;
    return -1;
  }

  toState(): PoolState {
    const reserved = [...this.reservedOffsets].sort((a, b) => a - b);
    const runs = encodeRuns(subtractPoints(this.bitmap.runs(), reserved));
    const state: PoolState = {
      addressSpace: this.addressSpace,
      pool: this.cidr,
      ...(this.range === undefined ? {} : { subPool: this.range }),
      cursor: this.cursor,
      runs,
      ...(this.outliers.size === 0
        ? {}
        : { outliers: [...this.outliers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((o) => formatIPv6(this.prefix.addr + o)) }),
    };
    return state;
  }

  /** Rebuild a pool from its state. Throws on state that does not fit the pool. */
  static fromState(state: PoolState): AddressPool {
    const prefix = parseIpamCidr(state.pool);
    const sub = state.subPool === undefined ? undefined : parseIpamCidr(state.subPool);
    const pool = new AddressPool(state.addressSpace, prefix, sub);
    if (!Number.isSafeInteger(state.cursor) || state.cursor < pool.rangeLo || state.cursor >= pool.rangeHi) {
      throw new Error(`state: cursor ${state.cursor} outside the range of pool ${pool.id}`);
    }
    pool.cursor = state.cursor;
    const ranges = decodeRuns(state.runs);
    for (let i = 0; i < ranges.length; i += 2) {
      const end = ranges[i + 1]!;
      if (end > pool.windowSize) throw new Error(`state: allocation past the end of pool ${pool.id}`);
      for (let o = ranges[i]!; o < end; o++) {
        if (pool.isReserved(o) || !pool.bitmap.set(o)) throw new Error(`state: offset ${o} of pool ${pool.id} listed twice or reserved`);
        if (o >= pool.rangeLo && o < pool.rangeHi) pool.rangeUsed++;
      }
    }
    for (const text of state.outliers ?? []) pool.allocate(text);
    return pool;
  }
}
