/**
 * Entries belong to the node that wrote them: what becomes of them when
 * their owner leaves a network or the cluster (Docker's
 * deleteNodeNetworkEntries, deleteNodeTableEntries, changeNodeState).
 *
 *  - A node leaves a network: its entries there become tombstones (so a
 *    bulk sync with a node that has not heard of the leave spreads the
 *    deletion instead of reviving them).
 *  - This node leaves a network: its own entries become tombstones (one
 *    tick newer), the others' live entries are dropped, so that rejoining
 *    accepts them afresh.
 *  - A node leaves or fails out of the cluster: its attachments are
 *    dropped and its live entries hidden, so that if it was only
 *    unreachable its entries are accepted again when it comes back.
 *    Docker drops them outright, and then a late copy of an older version
 *    (a datagram or stream held up by the partition) is accepted too, and
 *    shows a deleted entry or an old value until the next sync. cnm keeps
 *    an orphan marker in their place, for as long as a tombstone: it takes
 *    back the version it replaced or a newer one, and refuses older ones.
 *
 * Unlike Docker, tombstones are never dropped early: they stay until
 * reaped, so a replay of an older create is refused all that time.
 * Watchers hear a delete for every live entry that goes.
 */
import type { Context } from "./context.js";
import { valueBytes } from "./tables.js";

/** Mark the entries of `node` in `nid` deleted (`node` = ourselves: see above). */
export function markNetworkEntriesDeleted(ctx: Context, nid: string, node: string): void {
  const { store, watchers, self } = ctx;
  const isLocal = node === self;
  const reapAt = ctx.clock.now() + ctx.config.reapEntryInterval;
  for (const [table, key, entry] of store.network(nid)) {
    if (entry.owner !== node && !isLocal) continue;
    if (entry.deleting) continue;
    if (entry.owner === node) {
      // Our own entries get a newer time, so that the tombstone beats the
      // create any peer still holds; make later local writes newer still.
      const ltime = isLocal ? entry.ltime + 1 : entry.ltime;
      if (isLocal) ctx.clocks.table.witness(ltime);
      store.set(table, nid, key, { value: entry.value, owner: entry.owner, ltime, deleting: true, reapAt });
    } else {
      store.delete(table, nid, key);
    }
    watchers.emit("delete", table, nid, key, valueBytes(entry.value));
  }
  // Remote entries were dropped without tombstones: their owners' older
  // entries must be accepted again if we rejoin.
  if (isLocal) store.clearNetworkFloors(nid);
}

/** Hide the live entries `node` owns, everywhere, behind orphan markers (it left or failed out of the cluster). */
export function dropNodeEntries(ctx: Context, node: string): void {
  const { store, watchers } = ctx;
  const reapAt = ctx.clock.now() + ctx.config.reapEntryInterval;
  for (const [nid, table, key, entry] of [...store.all()]) {
    if (entry.owner !== node || entry.deleting) continue;
    // The value is not kept: a marker only needs the version it stands for.
    store.set(table, nid, key, { value: "", owner: entry.owner, ltime: entry.ltime, deleting: true, reapAt, orphan: true });
    watchers.emit("delete", table, nid, key, valueBytes(entry.value));
  }
  store.clearOwnerFloors(node);
}

/**
 * Move a cluster node to `state`; when it leaves the active set, forget its
 * network attachments and drop its entries. Returns whether it moved.
 */
export function changeNodeState(ctx: Context, name: string, state: "active" | "left" | "failed"): boolean {
  const moved = ctx.nodes.changeState(name, state, ctx.clock.now() + ctx.config.nodeReapInterval);
  if (!moved) return false;
  ctx.logger.info(`networkdb ${ctx.self}: node ${name} is now ${state}`);
  if (state !== "active") {
    ctx.networks.deleteNode(name);
    dropNodeEntries(ctx, name);
  }
  return true;
}
