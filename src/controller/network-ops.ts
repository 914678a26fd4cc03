import type { IpamGrant, NetworkCreateRequest, NetworkRecord } from "../controllerapi/index.js";
import type { IpamData, NetworkOptions } from "../driverapi/index.js";
import { ConflictError, ForbiddenError, InvalidParameterError } from "../errors.js";
import { bestEffort } from "./best-effort.js";
import { joinGossip, leaveGossip } from "./cluster/network-gossip.js";
import type { ControllerContext } from "./context.js";
import { followServiceTable } from "./dns/service-feed.js";
import { SERVICE_TABLE } from "./dns/service-table.js";
import { newId, validateName } from "./ids.js";
import { allocatePools, releasePools } from "./ipam-allocation.js";
import { gossips, isClusterNetwork, managesAddresses, servesNames } from "./policy.js";

/**
 * Networks: creation and deletion, and the life of a cluster network on this
 * host. A global network of a cluster is the cluster's record (every host
 * lists it), but a host makes it in its kernel and joins its gossip only
 * while it has endpoints on it: ensureLive at the first, releaseIfUnused
 * after the last, so a cluster of many networks costs each host only what it
 * uses.
 */

export function toIpamData(addressSpace: string, grants: readonly IpamGrant[]): IpamData[] {
  return grants.map((g) => ({
    addressSpace,
    pool: g.pool,
    ...(g.gateway ? { gateway: g.gateway } : {}),
    auxAddresses: g.auxAddresses,
  }));
}

export function networkOptionsOf(rec: NetworkRecord): NetworkOptions {
  return {
    name: rec.name,
    enableIPv6: rec.enableIPv6,
    internal: rec.internal,
    attachable: rec.attachable,
    driverOpts: { ...rec.driverOpts, ...rec.allocation },
    labels: rec.labels,
  };
}

export async function addressSpaceOf(ctx: ControllerContext, rec: Pick<NetworkRecord, "ipamDriver" | "scope">): Promise<string> {
  const spaces = await ctx.ipams.get(rec.ipamDriver).ipam.getDefaultAddressSpaces();
  return rec.scope === "local" ? spaces.local : spaces.global;
}

/**
 * Creates a network: IPAM pools, the driver's allocation (global scope),
 * the driver's createNetwork with table registration, the store. Undone
 * step by step if any step fails.
 */
export async function createNetwork(ctx: ControllerContext, req: NetworkCreateRequest): Promise<NetworkRecord> {
  const nameError = validateName("network", req.name);
  if (nameError) throw new InvalidParameterError(nameError);
  const driverName = req.driver ?? "bridge";
  const { driver, capability } = await ctx.drivers.resolve(driverName);
  const ipamDriver = req.ipam?.driver ?? "default";
  const { ipam } = await ctx.ipams.resolve(ipamDriver);
  const configs = req.ipam?.config ?? [];
  const v4Config = configs.filter((c) => !isV6Config(c));
  const v6Config = configs.filter((c) => isV6Config(c));
  if (v6Config.length > 0 && !req.enableIPv6) {
    throw new InvalidParameterError(`subnet ${v6Config[0]!.subnet} is IPv6 but IPv6 is not enabled on the network (--ipv6)`);
  }

  if (ctx.claims.networks.has(req.name) || [...ctx.networks.values()].some((n) => n.name === req.name)) {
    throw new ConflictError(`network with name ${req.name} already exists`);
  }
  ctx.claims.networks.add(req.name);
  try {
    if (req.id !== undefined && (!/^[0-9a-f]{64}$/.test(req.id) || ctx.networks.has(req.id))) {
      throw new InvalidParameterError(`network id ${req.id} is not 64 hex digits or is already in use`);
    }
    const rec: NetworkRecord = {
      id: req.id ?? newId(),
      name: req.name,
      driver: driverName,
      scope: capability.dataScope,
      created: new Date().toISOString(),
      ipamDriver,
      ipamOptions: req.ipam?.options ?? {},
      ipv4Config: v4Config,
      ipv6Config: v6Config,
      ipv4: [],
      ipv6: [],
      enableIPv6: req.enableIPv6 ?? false,
      internal: req.internal ?? false,
      attachable: req.attachable ?? false,
      driverOpts: req.options ?? {},
      labels: req.labels ?? {},
      allocation: {},
    };
    const space = await addressSpaceOf(ctx, rec);
    const undo: { what: string; step: () => Promise<void> }[] = [];
    try {
      if (managesAddresses(driverName)) {
        rec.ipv4 = await allocatePools(ctx.log, ipam, space, v4Config, false, rec.ipamOptions, true);
        undo.push({ what: "releasing its IPv4 pools", step: () => releasePools(ctx.log, ipam, rec.ipv4) });
        if (rec.enableIPv6) {
          rec.ipv6 = await allocatePools(ctx.log, ipam, space, v6Config, true, rec.ipamOptions, true);
          undo.push({ what: "releasing its IPv6 pools", step: () => releasePools(ctx.log, ipam, rec.ipv6) });
        }
      } else if (configs.length > 0) {
        throw new InvalidParameterError(`the ${driverName} driver manages no addresses: --subnet is not allowed`);
      }
      const v4Data = toIpamData(space, rec.ipv4);
      const v6Data = toIpamData(space, rec.ipv6);
      if (gossips(rec)) {
        rec.allocation = await driver.networkAllocate(rec.id, rec.driverOpts, v4Data, v6Data);
        undo.push({ what: "freeing the driver's allocation", step: () => driver.networkFree(rec.id) });
      }
      if (isClusterNetwork(ctx, rec)) {
        // The cluster's record; hosts make it in their kernel at their first endpoint on it.
        await ctx.globalStore!.createNetwork(rec);
        ctx.networks.set(rec.id, rec);
        return rec;
      }
      await instantiateNetwork(ctx, rec);
      undo.push({
        what: "deleting it in the driver",
        step: async () => {
          if (gossips(rec)) await leaveGossip(ctx, rec);
          await driver.deleteNetwork(rec.id);
        },
      });
      await ctx.store.putNetwork(rec);
      ctx.networks.set(rec.id, rec);
      return rec;
    } catch (err) {
      for (const { what, step } of undo.reverse()) await bestEffort(ctx.log, `undoing the creation of network ${rec.name}: ${what}`, step);
      throw err;
    }
  } finally {
    ctx.claims.networks.delete(req.name);
  }
}

/**
 * Makes the network exist on this host: the driver's createNetwork with its
 * table registrations, then (beyond local scope) the gossip's join and a
 * watch per registered table. The driver's part is undone if the join fails.
 */
export async function instantiateNetwork(ctx: ControllerContext, net: NetworkRecord, how: { restoring?: boolean } = {}): Promise<void> {
  const { driver } = ctx.drivers.get(net.driver);
  // A plugin keeps its own networks across cnm's restarts: as Docker, it is not asked to create one again.
  const replayCreate = !(how.restoring && !driver.isBuiltIn());
  const space = await addressSpaceOf(ctx, net);
  const tables: string[] = [];
  const tableEventRegister = (t: string): void => {
    // Each endpoint's entry there is the controller's (its name record, keyed by endpoint id): a driver's would clash with it.
    if (t === SERVICE_TABLE) throw new InvalidParameterError(`the ${net.driver} driver registered table "${t}", which the controller keeps for name records`);
    tables.push(t);
  };
  if (replayCreate) await driver.createNetwork(net.id, networkOptionsOf(net), { tableEventRegister }, toIpamData(space, net.ipv4), toIpamData(space, net.ipv6));
  if (!gossips(net)) return;
  try {
    await joinGossip(ctx, net, driver, tables);
  } catch (err) {
    await bestEffort(ctx.log, `undoing network ${net.name} in the ${net.driver} driver after its gossip join failed`, () => driver.deleteNetwork(net.id));
    throw err;
  }
  // The controller hears the name table the way drivers hear theirs.
  if (servesNames(net)) followServiceTable(ctx, net);
}

function isV6Config(c: { subnet?: string }): boolean {
  return c.subnet?.includes(":") ?? false;
}

/** Deletes a network that has no endpoints left. */
export async function deleteNetwork(ctx: ControllerContext, rec: NetworkRecord): Promise<void> {
  if (!ctx.networks.has(rec.id) || ctx.deletingNetworks.has(rec.id)) return;
  const active = ctx.endpoints.onNetwork(rec.id);
  if (active.length > 0 || ctx.claims.endpointsUnderway(rec.id)) {
    throw new ForbiddenError(
      `error while removing network: network ${rec.name} id ${rec.id} has active endpoints (${active.map((e) => e.name).join(", ")})`,
    );
  }
  ctx.deletingNetworks.add(rec.id);
  try {
    const { driver } = ctx.drivers.get(rec.driver);
    if (isClusterNetwork(ctx, rec)) {
      // Refused there while any host has endpoints on it; once gone, no host can add one.
      await ctx.globalStore!.deleteNetwork(rec.id);
      await ctx.locks.run(`network:${rec.id}`, async () => {
        if (ctx.liveNetworks.has(rec.id)) await teardownLive(ctx, rec);
      });
    } else {
      await driver.deleteNetwork(rec.id);
      ctx.serviceRecords.dropNetwork(rec.id);
      if (gossips(rec)) await leaveGossip(ctx, rec);
    }
    if (gossips(rec)) await bestEffort(ctx.log, `freeing the ${rec.driver} driver's allocation of network ${rec.name}`, () => driver.networkFree(rec.id));
    const { ipam } = ctx.ipams.get(rec.ipamDriver);
    await releasePools(ctx.log, ipam, rec.ipv4);
    await releasePools(ctx.log, ipam, rec.ipv6);
    if (!isClusterNetwork(ctx, rec)) await ctx.store.deleteNetwork(rec.id);
    ctx.networks.delete(rec.id);
  } finally {
    ctx.deletingNetworks.delete(rec.id);
  }
}

/** Creates a cluster network on this host (driver and gossip) unless it exists here already. */
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

/** Removes a cluster network from this host once no endpoint of this host uses it (it stays in the cluster). */
export async function releaseIfUnused(ctx: ControllerContext, net: NetworkRecord): Promise<void> {
  if (!ctx.liveNetworks.has(net.id)) return;
  await ctx.locks.run(`network:${net.id}`, async () => {
    if (!ctx.liveNetworks.has(net.id) || ctx.endpoints.anyOn(net.id) || ctx.claims.endpointsUnderway(net.id)) return;
    await teardownLive(ctx, net);
  });
}

async function teardownLive(ctx: ControllerContext, net: NetworkRecord): Promise<void> {
  ctx.liveNetworks.delete(net.id);
  await leaveGossip(ctx, net);
  ctx.serviceRecords.dropNetwork(net.id);
  await ctx.drivers.get(net.driver).driver.deleteNetwork(net.id);
  await ctx.store.deleteNetwork(net.id);
  if (ctx.deletedElsewhere.delete(net.id)) ctx.networks.delete(net.id);
}
