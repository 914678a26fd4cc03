import type { IpamData, NetworkOptions } from "../driverapi/index.js";
import { ConflictError, ForbiddenError, InvalidParameterError } from "../errors.js";
import type { ControllerContext } from "./context.js";
import { allocatePools, releasePools } from "./ipam-allocation.js";
import { newId, validateName } from "./ids.js";
import type { IpamGrant, NetworkRecord } from "./records.js";
import type { NetworkCreateRequest } from "./requests.js";
import { dropLocally, isClusterNetwork } from "./global-networks.js";
import { servesNames } from "./sandbox-dns.js";
import { followServiceTable } from "./service-feed.js";
import { SERVICE_TABLE } from "./service-table.js";

/** Drivers that manage no addresses (Docker skips IPAM for them). */
const NO_IPAM_DRIVERS = new Set(["null", "host"]);

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

  const claim = `net:${req.name}`;
  if (ctx.claimedNames.has(claim) || [...ctx.networks.values()].some((n) => n.name === req.name)) {
    throw new ConflictError(`network with name ${req.name} already exists`);
  }
  ctx.claimedNames.add(claim);
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
    const undo: (() => Promise<void>)[] = [];
    try {
      if (!NO_IPAM_DRIVERS.has(driverName)) {
        rec.ipv4 = await allocatePools(ipam, space, v4Config, false, rec.ipamOptions, true);
        undo.push(() => releasePools(ipam, rec.ipv4));
        if (rec.enableIPv6) {
          rec.ipv6 = await allocatePools(ipam, space, v6Config, true, rec.ipamOptions, true);
          undo.push(() => releasePools(ipam, rec.ipv6));
        }
      } else if (configs.length > 0) {
        throw new InvalidParameterError(`the ${driverName} driver manages no addresses: --subnet is not allowed`);
      }
      const v4Data = toIpamData(space, rec.ipv4);
      const v6Data = toIpamData(space, rec.ipv6);
      if (rec.scope !== "local") {
        rec.allocation = await driver.networkAllocate(rec.id, rec.driverOpts, v4Data, v6Data);
        undo.push(() => driver.networkFree(rec.id));
      }
      if (isClusterNetwork(ctx, rec)) {
        // The cluster's record; hosts make it in their kernel at their first endpoint on it.
        await ctx.globalStore!.createNetwork(rec);
        ctx.networks.set(rec.id, rec);
        return rec;
      }
      await instantiateNetwork(ctx, rec);
      undo.push(async () => {
        if (rec.scope !== "local") await ctx.agent.leaveNetwork(rec.id);
        await driver.deleteNetwork(rec.id);
      });
      await ctx.store.putNetwork(rec);
      ctx.networks.set(rec.id, rec);
      return rec;
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => {});
      throw err;
    }
  } finally {
    ctx.claimedNames.delete(claim);
  }
}

/**
 * Makes the network exist on this host: the driver's createNetwork with its
 * table registrations, then (beyond local scope) the cluster agent's join and
 * a watch per registered table. The driver's part is undone if the join fails.
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
  if (net.scope === "local") return;
  try {
    await ctx.agent.joinNetwork(net.id);
  } catch (err) {
    await driver.deleteNetwork(net.id).catch(() => {});
    throw err;
  }
  for (const table of tables) {
    ctx.agent.watchTable(net.id, table, (type, nid, t, key, value) => driver.eventNotify(type, nid, t, key, value));
  }
  // The controller hears the name table the way drivers hear theirs.
  if (servesNames(net)) followServiceTable(ctx, net.id);
}

function isV6Config(c: { subnet?: string }): boolean {
  return c.subnet?.includes(":") ?? false;
}

/** Deletes a network that has no endpoints left. */
export async function deleteNetwork(ctx: ControllerContext, rec: NetworkRecord): Promise<void> {
  if (!ctx.networks.has(rec.id) || ctx.deletingNetworks.has(rec.id)) return;
  const active = [...ctx.endpoints.values()].filter((e) => e.networkId === rec.id);
  const creating = [...ctx.claimedNames].some((c) => c.startsWith(`ep:${rec.id}:`));
  if (active.length > 0 || creating) {
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
      await dropLocally(ctx, rec);
      await driver.networkFree(rec.id).catch(() => {});
      const { ipam } = ctx.ipams.get(rec.ipamDriver);
      await releasePools(ipam, rec.ipv4);
      await releasePools(ipam, rec.ipv6);
      ctx.networks.delete(rec.id);
      return;
    }
    await driver.deleteNetwork(rec.id);
    ctx.serviceRecords.dropNetwork(rec.id);
    if (rec.scope !== "local") {
      await ctx.agent.leaveNetwork(rec.id).catch(() => {});
      await driver.networkFree(rec.id).catch(() => {});
    }
    const { ipam } = ctx.ipams.get(rec.ipamDriver);
    await releasePools(ipam, rec.ipv4);
    await releasePools(ipam, rec.ipv6);
    await ctx.store.deleteNetwork(rec.id);
    ctx.networks.delete(rec.id);
  } finally {
    ctx.deletingNetworks.delete(rec.id);
  }
}
