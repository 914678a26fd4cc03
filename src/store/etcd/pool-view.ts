/**
 * One global pool as a host sees it, and its addresses as etcd keys: one key
 * per allocated address, named by its offset in the pool in fixed-width hex
 * so that etcd's key order is address order.
 */
import { AddressOutOfRangeError, InvalidAddressError } from "../../ipamapi/errors.js";
import { type Prefix, formatIpValue, hostBits, parseIpValue, prefixContainsIp, prefixSize, prefixToString } from "../../inet/index.js";
import { type ClusterStore, prefixEnd } from "./client.js";

/** What the pool's own key holds. */
export interface StoredPool {
  readonly pool: string;
  readonly subPool?: string;
}

export class PoolView {
  readonly cidr: string;
  readonly size: bigint;
  /** Offsets of the dynamic range: [rangeLo, rangeHi). */
  readonly rangeLo: bigint;
  readonly rangeHi: bigint;
  /** Where the next serial allocation of this host starts looking (Docker's cursor). */
  cursor: bigint;
  private readonly hexWidth: number;
  private readonly addrPrefix: Buffer;
  private readonly lastReserved: boolean;
  private readonly firstReserved: boolean;

  constructor(
    private readonly store: ClusterStore,
    /** Relative key prefix of this pool's addresses, ending in "/". */
    addrPrefix: string,
    readonly id: string,
    readonly prefix: Prefix,
    readonly subPool: Prefix | undefined,
    /** create_revision of the pool's key: this incarnation of the pool. */
    readonly createRevision: string,
  ) {
    this.cidr = prefixToString(prefix);
    this.size = prefixSize(prefix);
    this.rangeLo = subPool ? subPool.addr - prefix.addr : 0n;
    this.rangeHi = subPool ? this.rangeLo + prefixSize(subPool) : this.size;
    this.cursor = this.rangeLo;
    this.hexWidth = Math.max(1, Math.ceil(hostBits(prefix) / 4));
    this.addrPrefix = store.key(addrPrefix);
    // As Linux and Docker (and DefaultIpam): IPv4 loses network and broadcast
    // address, IPv6 the subnet-router anycast, unless the pool is tiny.
    this.firstReserved = hostBits(prefix) >= 2;
    this.lastReserved = this.firstReserved && prefix.family === 4;
  }

  isReserved(offset: bigint): boolean {
    return (offset === 0n && this.firstReserved) || (offset === this.size - 1n && this.lastReserved);
  }

  addressKey(offset: bigint): Buffer {
    return Buffer.concat([this.addrPrefix, Buffer.from(offset.toString(16).padStart(this.hexWidth, "0"))]);
  }

  /** The key bounding offsets below `offset` (the end of all address keys for the pool's size). */
  private boundKey(offset: bigint): Buffer {
    return offset >= this.size ? prefixEnd(this.addrPrefix) : this.addressKey(offset);
  }

  private offsetOf(key: Buffer): bigint {
    return BigInt(`0x${key.subarray(this.addrPrefix.length).toString()}`);
  }

  /** "10.0.1.5/24" for an offset. */
  format(offset: bigint): string {
    return `${formatIpValue({ family: this.prefix.family, value: this.prefix.addr + offset })}/${this.prefix.bits}`;
  }

  /** The offset of an address of the pool ("10.0.1.5", or with the pool's prefix length). */
  offsetOfAddress(address: string): bigint {
    const bare = address.includes("/") ? address.slice(0, address.indexOf("/")) : address;
    const ip = parseIpValue(bare);
    if (ip === undefined) throw new InvalidAddressError(address);
    if (!prefixContainsIp(this.prefix, ip)) throw new AddressOutOfRangeError(address, this.cidr);
    return ip.value - this.prefix.addr;
  }

  /**
   * Up to `count` free offsets of the dynamic range, lowest first from
   * `from`, wrapping around to the range's start when `wrap`. Free means: no
   * key in etcd, not reserved, not in `skip`.
   */
  async findFree(from: bigint, count: number, wrap: boolean, skip: ReadonlySet<bigint> = new Set()): Promise<bigint[]> {
    const found: bigint[] = [];
    const spans: Array<[bigint, bigint]> = [[from, this.rangeHi]];
    if (wrap && from > this.rangeLo) spans.push([this.rangeLo, from]);
    for (const [lo, hi] of spans) {
      let next = lo;
      while (next < hi && found.length < count) {
        const page = await this.store.range({ key: this.addressKey(next), range_end: this.boundKey(hi), limit: 256, keys_only: true });
        const taken = page.kvs.map((kv) => this.offsetOf(kv.key));
        // Past the last key of the page everything up to `hi` is free, unless there are more pages.
        const pageEnd = page.more ? taken[taken.length - 1]! : hi;
        for (const t of [...taken, pageEnd]) {
          for (; next < t && found.length < count; next++) if (!this.isReserved(next) && !skip.has(next)) found.push(next);
          if (found.length === count) return found;
          next = t + 1n;
        }
        if (!page.more) break;
      }
    }
    return found;
  }
}
