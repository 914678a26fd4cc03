/**
 * The state one NetworkDB node shares between its parts (API, delegates,
 * gossip, bulk sync, maintenance). One object, passed explicitly, so each
 * part is a plain module that can be read on its own.
 */
import type { ClusterBroadcasts } from "./broadcasts.js";
import type { NetworkDBConfig } from "./config.js";
import type { NetworkDBCounters } from "./counters.js";
import type { LamportClocks } from "./lamport.js";
import type { Clock, Logger, Memberlist, Random } from "./memberlist/index.js";
import type { Networks } from "./networks.js";
import type { ClusterNodes } from "./nodes.js";
import type { TableStore } from "./tables.js";
import type { WatchHub } from "./watch.js";

export interface Context {
  readonly config: NetworkDBConfig;
  /** This node's name (config.nodeId). */
  readonly self: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly clocks: LamportClocks;
  readonly store: TableStore;
  readonly networks: Networks;
  readonly nodes: ClusterNodes;
  readonly broadcasts: ClusterBroadcasts;
  readonly watchers: WatchHub;
  readonly counters: NetworkDBCounters;
  /** Set once memberlist is created (its creation already calls the delegates). */
  ml: Memberlist | null;
  /** Set by close()/shutdown(): periodic work stops, the API refuses. */
  closed: boolean;
  /** Called when another node is seen joining a network (after the attachment is recorded). */
  onNetworkJoin: (nid: string, node: string) => void;
}

/** The memberlist of a context that has finished starting. */
export function memberlistOf(ctx: Context): Memberlist {
  if (ctx.ml === null) throw new Error("networkdb: memberlist is not started");
  return ctx.ml;
}

/** Up to `m` distinct random names from `names`, never `self` (Docker's mRandomNodes). */
export function randomPeers(random: Random, names: readonly string[], m: number, self: string): string[] {
  const n = names.length;
  const out: string[] = [];
  if (m <= 0 || n === 0) return out;
  if (m >= n - 1) {
    // Everyone (but us): no choice to make, in list order.
    for (const name of names) if (name !== self) out.push(name);
    return out.slice(0, m);
  }
  // Few of many: rejection sampling, as Docker (bounded tries for small lists).
  const seen = new Set<string>();
  for (let tries = 0; tries < 3 * n && out.length < m; tries++) {
    const name = names[Math.floor(random() * n)]!;
    if (name === self || seen.has(name)) continue;
    seen.add(name);
    out.push(name);
  }
  return out;
}
