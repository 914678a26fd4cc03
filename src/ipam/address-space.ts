/**
 * An address space ("LocalDefault", "GlobalDefault"): the pools allocated in
 * it, which must never overlap, and the predefined pools dynamic requests
 * pick from. Both families live in one space; prefixes of different
 * families never overlap.
 */
import { NoMorePoolsError, PoolOverlapError } from "../ipamapi/errors.js";
import type { AddressPool } from "./address-pool.js";
import { type SplitPlan, findFreeSubnet } from "./predefined-pools.js";
import { type Prefix, prefixesOverlap } from "../inet/index.js";

export class AddressSpace {
  // A plain list: a host has tens to hundreds of networks, and overlap checks
  // only run when a pool is requested, never per address.
  private readonly pools: AddressPool[] = [];

  constructor(
    readonly name: string,
    private readonly predefined: readonly SplitPlan[],
  ) {}

  /** The allocated pool overlapping `p`, if any. */
  findOverlap(p: Prefix): AddressPool | undefined {
    return this.pools.find((pool) => prefixesOverlap(pool.prefix, p));
  }

  /** Add a pool; throws PoolOverlapError naming both pools if it overlaps one. */
  add(pool: AddressPool): void {
    const clash = this.findOverlap(pool.prefix);
    if (clash !== undefined) throw new PoolOverlapError(pool.cidr, clash.cidr, this.name);
    this.pools.push(pool);
  }

  remove(pool: AddressPool): void {
    const i = this.pools.indexOf(pool);
    if (i >= 0) this.pools.splice(i, 1);
  }

  /**
   * The first predefined subnet of the family overlapping no allocated pool
   * and none of `avoid` (host routes, excluded prefixes). Throws NoMorePoolsError.
   */
  pickPredefined(family: 4 | 6, avoid: readonly Prefix[]): Prefix {
    const blockers = [...this.pools.map((p) => p.prefix), ...avoid];
    const found = findFreeSubnet(this.predefined, family, blockers);
    if (found === undefined) throw new NoMorePoolsError(this.name, family === 6);
    return found;
  }

  list(): readonly AddressPool[] {
    return this.pools;
  }
}
