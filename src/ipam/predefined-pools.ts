/**
 * The predefined pools a dynamic pool request picks from, and the search for
 * the first of them that overlaps nothing in use.
 */
import { InvalidCidrError } from "../ipamapi/errors.js";
import { type Prefix, comparePrefixes, familyWidth, makePrefix, prefixLast } from "../inet/index.js";
import { parseIpamCidr } from "./cidr.js";

/** A base network split into subnets of prefix length `size` (libnetwork's NetworkToSplit). */
export interface NetworkToSplit {
  /** e.g. "172.20.0.0/14" */
  readonly base: string;
  /** prefix length of each pool cut from `base`, e.g. 16 */
  readonly size: number;
}

/**
 * Docker's local defaults: 172.17.0.0/16 .. 172.31.0.0/16, then 192.168.0.0/16
 * in /20s; for IPv6 the ULA fd00::/48 in /64s.
 */
export const DEFAULT_LOCAL_POOLS: readonly NetworkToSplit[] = Object.freeze([
  { base: "172.17.0.0/16", size: 16 },
  { base: "172.18.0.0/16", size: 16 },
  { base: "172.19.0.0/16", size: 16 },
  { base: "172.20.0.0/14", size: 16 },
  { base: "172.24.0.0/14", size: 16 },
  { base: "172.28.0.0/14", size: 16 },
  { base: "192.168.0.0/16", size: 20 },
  { base: "fd00::/48", size: 64 },
]);

/** Docker's global (cluster) defaults: 10.0.0.0/8 in /24s; for IPv6 fd00:0:1::/48 in /64s. */
export const DEFAULT_GLOBAL_POOLS: readonly NetworkToSplit[] = Object.freeze([
  { base: "10.0.0.0/8", size: 24 },
  { base: "fd00:0:1::/48", size: 64 },
]);

/** A validated NetworkToSplit. */
export interface SplitPlan {
  readonly base: Prefix;
  readonly size: number;
}

/** Validate a list of NetworkToSplit. Throws InvalidCidrError on a bad entry. */
export function planSplits(list: readonly NetworkToSplit[]): SplitPlan[] {
  return list.map((n) => {
    const base = parseIpamCidr(n.base);
    if (!Number.isInteger(n.size) || n.size < base.bits || n.size > familyWidth(base.family)) {
      throw new InvalidCidrError(n.base, `cannot split into /${n.size} pools`);
    }
    return { base, size: n.size };
  });
}

interface Interval {
  start: bigint;
  end: bigint; // inclusive
}

/** Sort and merge the blockers of one family into disjoint intervals. */
function mergeBlockers(blockers: readonly Prefix[]): Interval[] {
  const sorted = [...blockers].sort(comparePrefixes);
  const out: Interval[] = [];
  for (const p of sorted) {
    const start = p.addr;
    const end = prefixLast(p);
    const last = out[out.length - 1];
    if (last !== undefined && start <= last.end + 1n) {
      if (end > last.end) last.end = end;
    } else {
      out.push({ start, end });
    }
  }
  return out;
}

/**
 * The first subnet, in the order of `plans`, that overlaps none of
 * `blockers` (pools in use, host routes, excluded prefixes); undefined if
 * none is left. One sweep over the merged blockers per plan: the cost grows
 * with the number of blockers, not with the number of candidate subnets
 * (10.0.0.0/8 holds 65536 /24s, fd00::/48 65536 /64s).
 */
export function findFreeSubnet(plans: readonly SplitPlan[], family: 4 | 6, blockers: readonly Prefix[]): Prefix | undefined {
  const merged = mergeBlockers(blockers.filter((b) => b.family === family));
  for (const plan of plans) {
    if (plan.base.family !== family) continue;
    const step = 1n << BigInt(familyWidth(family) - plan.size);
    const baseEnd = prefixLast(plan.base);
    let cursor = plan.base.addr;
    for (const iv of merged) {
      if (cursor + step - 1n > baseEnd) break;
      if (iv.end < cursor) continue;
      // The candidate [cursor, cursor+step) is free if it ends before this blocker.
      if (cursor + step - 1n < iv.start) break;
      // Otherwise jump to the first aligned subnet after the blocker.
      cursor = ((iv.end + 1n + step - 1n) / step) * step;
    }
    if (cursor + step - 1n <= baseEnd) return makePrefix(family, cursor, plan.size);
  }
  return undefined;
}

