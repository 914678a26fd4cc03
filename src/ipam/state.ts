/**
 * The persisted form of the default IPAM, what DefaultIpam.toJSON() returns
 * and DefaultIpam.fromJSON() accepts. Plain JSON, compact, versioned:
 *
 * ```json
 * {
 *   "version": 1,
 *   "pools": [
 *     { "addressSpace": "LocalDefault", "pool": "172.18.0.0/16",
 *       "cursor": 7, "runs": [1, 6] },
 *     { "addressSpace": "LocalDefault", "pool": "10.1.0.0/16", "subPool": "10.1.4.0/24",
 *       "cursor": 1027, "runs": [1, 1, 1022, 3] },
 *     { "addressSpace": "LocalDefault", "pool": "fd00:1::/48",
 *       "cursor": 3, "runs": [1, 2], "outliers": ["fd00:1:0:ffff::9"] }
 *   ]
 * }
 * ```
 *
 * - `pool`, `subPool`: canonical CIDRs; the pool id is derived from them and
 *   the address space, so ids stay valid across a restore.
 * - Offsets are counted from the start of the pool's *window*: the whole pool
 *   when it has at most 2^53 addresses, else 2^53 addresses starting at the
 *   sub-pool (or the pool) start. All offsets are JSON-safe integers.
 * - `runs`: allocated addresses as run-lengths, pairs [gap, length]: a run
 *   starts `gap` addresses after the end of the previous run (after 0 for the
 *   first) and covers `length` addresses. 1M consecutive addresses are two
 *   numbers. Reserved addresses (network, broadcast, IPv6 subnet-router
 *   anycast) are never listed: they follow from the pool.
 * - `cursor`: where the next serial allocation starts searching.
 * - `outliers`: allocated addresses of a pool larger than 2^53 addresses that
 *   lie outside its window (only ever preferred addresses); absent if none.
 */

export const STATE_VERSION = 1;

export interface IpamState {
  readonly version: typeof STATE_VERSION;
  readonly pools: readonly PoolState[];
}

export interface PoolState {
  readonly addressSpace: string;
  readonly pool: string;
  readonly subPool?: string;
  readonly cursor: number;
  readonly runs: readonly number[];
  readonly outliers?: readonly string[];
}

/** Flat [start, end) pairs -> [gap, length] pairs. */
export function encodeRuns(ranges: readonly number[]): number[] {
  const out: number[] = [];
  let prevEnd = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    const start = ranges[i]!;
    const end = ranges[i + 1]!;
    out.push(start - prevEnd, end - start);
    prevEnd = end;
  }
  return out;
}

/** [gap, length] pairs -> flat [start, end) pairs. Throws on malformed input. */
export function decodeRuns(runs: readonly number[]): number[] {
  if (runs.length % 2 !== 0) throw new Error("state: runs must hold [gap, length] pairs");
  const out: number[] = [];
  let prevEnd = 0;
  for (let i = 0; i < runs.length; i += 2) {
    const gap = runs[i]!;
    const len = runs[i + 1]!;
    if (!Number.isSafeInteger(gap) || !Number.isSafeInteger(len) || gap < 0 || len < 1) {
      throw new Error(`state: bad run [${gap}, ${len}]`);
    }
    const start = prevEnd + gap;
    out.push(start, start + len);
    prevEnd = start + len;
  }
  return out;
}

/** Remove single offsets (sorted ascending) from flat [start, end) ranges. */
export function subtractPoints(ranges: readonly number[], points: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < ranges.length; i += 2) {
    let start = ranges[i]!;
    const end = ranges[i + 1]!;
    for (const p of points) {
      if (p < start || p >= end) continue;
      if (p > start) out.push(start, p);
      start = p + 1;
    }
    if (start < end) out.push(start, end);
  }
  return out;
}
