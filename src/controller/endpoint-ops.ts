import { ConflictError, InvalidParameterError, NotFoundError } from "../errors.js";
import { bestEffort } from "./best-effort.js";
import type { ControllerContext } from "./context.js";
import { EndpointInterfaceInfo, type InterfaceState } from "./endpoint-info.js";
import { newId, validateName } from "./ids.js";
import type { EndpointRecord, IpamGrant, NetworkRecord } from "./records.js";
import type { ConnectRequest } from "./requests.js";
import { ensureLive, isClusterNetwork, releaseIfUnused } from "./global-networks.js";
import { finishPendingDeletion } from "./left-endpoints.js";
import type { PortBinding } from "../driverapi/index.js";
import { MacAddressOption, type Ipam } from "../ipamapi/index.js";
import { randomLocalMac } from "../inet/index.js";

/**
 * Creates an endpoint on a network: an address from each family's pools
 * (the preferred one if given), then the driver's createEndpoint.
 */
export async function createEndpoint(
  ctx: ControllerContext,
  net: NetworkRecord,
  req: ConnectRequest & { name: string; portBindings?: readonly PortBinding[] },
): Promise<EndpointRecord> {
  const nameError = validateName("endpoint", req.name);
  if (nameError) throw new InvalidParameterError(nameError);
  if (req.ipv6Address && !net.enableIPv6) {
    throw new InvalidParameterError(`network ${net.name} has no IPv6: cannot assign ${req.ipv6Address}`);
  }
  if (!ctx.networks.has(net.id) || ctx.deletingNetworks.has(net.id)) throw new NotFoundError(`network ${net.name} not found`);
  const leftBehind = [...ctx.endpoints.values()].find((e) => e.networkId === net.id && e.name === req.name && ctx.pendingDeletions.has(e.id));
  if (leftBehind) await finishPendingDeletion(ctx, leftBehind);
  const claim = `ep:${net.id}:${req.name}`;
  const taken = ctx.claimedNames.has(claim) || [...ctx.endpoints.values()].some((e) => e.networkId === net.id && e.name === req.name);
  if (taken) throw new ConflictError(`endpoint with name ${req.name} already exists in network ${net.name}`);
  ctx.claimedNames.add(claim);
  try {
    const { ipam, capability } = ctx.ipams.get(net.ipamDriver);
    const rec: EndpointRecord = {
      id: newId(),
      name: req.name,
      networkId: net.id,
      portBindings: req.portBindings ?? [],
      aliases: req.aliases ?? [],
      driverOpts: req.driverOpts ?? {},
    };
    if (req.macAddress) rec.mac = req.macAddress;
    // An IPAM that allocates by MAC needs one before any address: libnetwork generates it then.
    if (capability.requiresMACAddress && !rec.mac) rec.mac = randomLocalMac();
    const addressOptions = capability.requiresMACAddress ? { [MacAddressOption]: rec.mac! } : undefined;
    try {
      if (net.ipv4.length > 0) {
        const got = await allocateFrom(ipam, net.ipv4, req.ipv4Address, net.name, addressOptions);
        rec.address = got.address;
        rec.poolIdV4 = got.poolId;
      } else if (req.ipv4Address) {
        throw new InvalidParameterError(`network ${net.name} manages no addresses: cannot assign ${req.ipv4Address}`);
      }
      if (net.ipv6.length > 0) {
        const got = await allocateFrom(ipam, net.ipv6, req.ipv6Address, net.name, addressOptions);
        rec.addressIPv6 = got.address;
        rec.poolIdV6 = got.poolId;
      }
      const inCluster = isClusterNetwork(ctx, net);
      if (inCluster) {
        await ensureLive(ctx, net);
        await ctx.globalStore!.putEndpoint(net.id, {
          id: rec.id,
          name: rec.name,
          host: ctx.nodeName,
          ...(rec.address ? { address: rec.address } : {}),
        });
      }
      const iface: InterfaceState = {};
      if (rec.mac) iface.mac = rec.mac;
      if (rec.address) iface.address = rec.address;
      if (rec.addressIPv6) iface.addressIPv6 = rec.addressIPv6;
      const { driver } = ctx.drivers.get(net.driver);
      await driver.createEndpoint(net.id, rec.id, new EndpointInterfaceInfo(iface), {
        portBindings: rec.portBindings,
        driverOpts: rec.driverOpts,
      });
      // The driver may have chosen the MAC or addresses itself.
      if (iface.mac) rec.mac = iface.mac;
      if (iface.address) rec.address = iface.address;
      if (iface.addressIPv6) rec.addressIPv6 = iface.addressIPv6;
      try {
        await ctx.store.putEndpoint(rec);
      } catch (err) {
        await driver.deleteEndpoint(net.id, rec.id).catch(() => {});
        throw err;
      }
      ctx.endpoints.set(rec.id, rec);
      return rec;
    } catch (err) {
      if (isClusterNetwork(ctx, net)) await bestEffort(() => ctx.globalStore!.deleteEndpoint(net.id, rec.id));
      await releaseHeldAddresses(ipam, rec, false);
      throw err;
    }
  } finally {
    ctx.claimedNames.delete(claim);
    // A failed first endpoint must not leave the network made on this host for nothing.
    if (isClusterNetwork(ctx, net)) await releaseIfUnused(ctx, net).catch(() => {});
  }
}

/** Tries each pool in order, as libnetwork does; a preferred address must fall in one of them. */
async function allocateFrom(
  ipam: Ipam,
  grants: readonly IpamGrant[],
  preferred: string | undefined,
  networkName: string,
  options?: Readonly<Record<string, string>>,
): Promise<{ poolId: string; address: string }> {
  let lastError: unknown;
  for (const g of grants) {
    try {
      const { address } = await ipam.requestAddress(g.poolId, preferred, options);
      return { poolId: g.poolId, address };
    } catch (err) {
      lastError = err;
    }
  }
  if (preferred && grants.length > 1) {
    throw new InvalidParameterError(`no configured subnet of network ${networkName} can hold ${preferred}`, { cause: lastError });
  }
  throw lastError;
}

/**
 * Releases the addresses the endpoint still holds and forgets each once
 * released, so that a deletion retried after a later step failed never frees
 * an address twice (by then it may be another endpoint's). Strict: a failure
 * is thrown; otherwise it is ignored, as on undo paths.
 */
async function releaseHeldAddresses(ipam: Ipam, rec: EndpointRecord, strict: boolean): Promise<void> {
  const step = strict ? (f: () => Promise<void>) => f() : bestEffort;
  const { poolIdV4, address, poolIdV6, addressIPv6 } = rec;
  if (poolIdV4 && address) {
    await step(async () => {
      await ipam.releaseAddress(poolIdV4, address);
      delete rec.poolIdV4;
    });
  }
  if (poolIdV6 && addressIPv6) {
    await step(async () => {
      await ipam.releaseAddress(poolIdV6, addressIPv6);
      delete rec.poolIdV6;
    });
  }
}


/** Deletes an endpoint that is not joined: driver first, then its addresses. */
export async function deleteEndpoint(ctx: ControllerContext, rec: EndpointRecord): Promise<void> {
  await ctx.locks.run(`endpoint:${rec.id}`, async () => {
    if (!ctx.endpoints.has(rec.id)) return;
    if (rec.sandboxId) throw new ConflictError(`endpoint ${rec.name} is still joined to a sandbox`);
    const net = ctx.networks.get(rec.networkId);
    if (!net) throw new NotFoundError(`network ${rec.networkId} of endpoint ${rec.name} not found`);
    const { driver } = ctx.drivers.get(net.driver);
    await driver.deleteEndpoint(net.id, rec.id).catch((err: unknown) => {
      // libnetwork goes on when a plugin fails to delete an endpoint: a plugin that died
      // must not leave a record (and an address) no one can remove. Built-in drivers still fail it.
      if (driver.isBuiltIn()) throw err;
    });
    // In a cluster a failed release must fail the deletion (to be retried), or the address would leak for good.
    await releaseHeldAddresses(ctx.ipams.get(net.ipamDriver).ipam, rec, isClusterNetwork(ctx, net));
    // Unregistered last: while the cluster still lists it, nobody can delete the network under it.
    if (isClusterNetwork(ctx, net)) await ctx.globalStore!.deleteEndpoint(net.id, rec.id);
    await ctx.store.deleteEndpoint(rec.id);
    ctx.endpoints.delete(rec.id);
  });
  const net = ctx.networks.get(rec.networkId);
  if (net && isClusterNetwork(ctx, net)) await releaseIfUnused(ctx, net);
}
