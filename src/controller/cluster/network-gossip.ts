import type { NetworkRecord } from "../../controllerapi/index.js";
import type { Driver } from "../../driverapi/index.js";
import { bestEffort } from "../best-effort.js";
import type { ControllerContext } from "../context.js";

/**
 * A network's life in the cluster's gossip, as the driver contract has it:
 * the tables a driver registered at createNetwork hear every change made
 * anywhere (eventNotify), and the entries a join adds belong to the endpoint:
 * the controller publishes them and withdraws them when it leaves.
 */

/** Joins the network's gossip and routes each registered table's events to the driver. */
export async function joinGossip(ctx: ControllerContext, net: NetworkRecord, driver: Driver, tables: readonly string[]): Promise<void> {
  await ctx.agent.joinNetwork(net.id);
  for (const table of tables) {
    ctx.agent.watchTable(net.id, table, (type, nid, t, key, value) => driver.eventNotify(type, nid, t, key, value));
  }
}

/** Leaves the network's gossip; what cannot be left now goes with the node (its entries expire in the cluster). */
export async function leaveGossip(ctx: ControllerContext, net: NetworkRecord): Promise<void> {
  await bestEffort(ctx.log, `leaving the gossip of network ${net.name} (${net.id})`, () => ctx.agent.leaveNetwork(net.id));
}

/** One endpoint-owned entry of a join. */
export interface TableEntry {
  readonly table: string;
  readonly key: string;
  readonly value: Uint8Array;
}

/**
 * Publishes a join's entries, one by one; `published` hears each as it is
 * in the cluster, so a join that fails midway withdraws exactly those.
 */
export async function publishEntries(
  ctx: ControllerContext,
  net: NetworkRecord,
  entries: readonly TableEntry[],
  published: (entry: { table: string; key: string }) => void,
): Promise<void> {
  for (const entry of entries) {
    await ctx.agent.createEntry(net.id, entry.table, entry.key, entry.value);
    published({ table: entry.table, key: entry.key });
  }
}

/**
 * Withdraws an endpoint's entries as it leaves, so peers stop using it. One
 * that cannot be deleted now stays until the node's entries expire with it.
 */
export async function withdrawEntries(ctx: ControllerContext, net: NetworkRecord, endpoint: string, entries: readonly { table: string; key: string }[]): Promise<void> {
  for (const e of entries) {
    await bestEffort(ctx.log, `withdrawing entry ${e.key} of table ${e.table} (endpoint ${endpoint}, network ${net.name})`, () =>
      ctx.agent.deleteEntry(net.id, e.table, e.key),
    );
  }
}
