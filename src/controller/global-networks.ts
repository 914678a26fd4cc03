import type { ControllerContext } from "./context.js";
import type { GlobalNetworkChange } from "./global-store.js";
import { instantiateNetwork } from "./network-ops.js";
import type { NetworkRecord } from "./records.js";

/**
 * Global-scope networks on a host of a cluster. Their records live in the
 * global store and every host sees all of them; but a host makes one in its
 * kernel and joins its gossip only while it has endpoints on it, so a
 * cluster of many networks costs each host only what it uses.
 */

/** True when the network's life on this host follows its endpoints (global scope in a cluster). */
export function isClusterNetwork(ctx: ControllerContext, net: Pick<NetworkRecord, "scope">): boolean {
  return ctx.globalStore !== undefined && net.scope !== "local";
}

/** Creates the network on this host (driver and gossip) unless it exists here already. */
export async function ensureLive(ctx: ControllerContext, net: NetworkRecord): Promise<void> {
  if (ctx.liveNetworks.has(net.id)) return;
  await ctx.locks.run(`network:${net.id}`, async () => {
    if (ctx.liveNetworks.has(net.id)) return;
    await instantiateNetwork(ctx, net);
    // Cached locally, so a restart can bring back this host's endpoints even before the store answers.
    await ctx.store.putNetwork(net);
    ctx.liveNetworks.add(net.id);
  });
}

/** Removes the network from this host once no endpoint of this host uses it (it stays in the cluster). */
export async function releaseIfUnused(ctx: ControllerContext, net: NetworkRecord): Promise<void> {
  if (!ctx.liveNetworks.has(net.id)) return;
  await ctx.locks.run(`network:${net.id}`, async () => {
    if (!ctx.liveNetworks.has(net.id) || inUse(ctx, net.id)) return;
    await teardown(ctx, net);
  });
}

async function teardown(ctx: ControllerContext, net: NetworkRecord): Promise<void> {
  ctx.liveNetworks.delete(net.id);
  await ctx.agent.leaveNetwork(net.id).catch(() => {});
  ctx.serviceRecords.dropNetwork(net.id);
  await ctx.drivers.get(net.driver).driver.deleteNetwork(net.id);
  await ctx.store.deleteNetwork(net.id);
}

function inUse(ctx: ControllerContext, nid: string): boolean {
  for (const e of ctx.endpoints.values()) if (e.networkId === nid) return true;
  for (const c of ctx.claimedNames) if (c.startsWith(`ep:${nid}:`)) return true;
  return false;
}

/**
 * Follows the global store: every host lists every global network. A record
 * this host holds already (it made it, or restored it) is kept as it is.
 */
export function applyGlobalChange(ctx: ControllerContext, change: GlobalNetworkChange): void {
  if (change.type === "put") {
    if (!ctx.networks.has(change.record.id)) ctx.networks.set(change.record.id, change.record);
    return;
  }
  // Deletion is refused while any host has endpoints, so a network deleted
  // elsewhere has none here; one still live here is one being released.
  if (!ctx.liveNetworks.has(change.id)) ctx.networks.delete(change.id);
}

/** Removes a network deleted in the cluster from this host, if it was still made here. */
export async function dropLocally(ctx: ControllerContext, net: NetworkRecord): Promise<void> {
  await ctx.locks.run(`network:${net.id}`, async () => {
    if (ctx.liveNetworks.has(net.id)) await teardown(ctx, net);
  });
}
