import type { ConnectRequest, EndpointRecord, IpamGrant, NetworkRecord } from "../controllerapi/index.js";
import type { PortBinding } from "../driverapi/index.js";
import { ConflictError, InvalidParameterError, NotFoundError, UnavailableError } from "../errors.js";
import { randomLocalMac } from "../inet/index.js";
import { MacAddressOption, type Ipam } from "../ipamapi/index.js";
import { errorText, type Logger } from "../log/index.js";
import { bestEffort } from "./best-effort.js";
import type { ControllerContext } from "./context.js";
import { EndpointInterfaceInfo, type InterfaceState } from "./endpoint-info.js";
import { newId, printable, validateName } from "./ids.js";
import { grantHolding } from "./ipam-allocation.js";
import { ensureLive, releaseIfUnused } from "./network-ops.js";
import { isClusterNetwork } from "./policy.js";

/**
 * Endpoints: creation, deletion, and the deferred deletion of an endpoint
 * its sandbox has already left (deleteLeftEndpoint).
 */

/**
 * Creates an endpoint on a network: an address from each family's pools
 * (the preferred one if given), then the driver's createEndpoint.
 */
export async function createEndpoint(
  ctx: ControllerContext,
  net: NetworkRecord,
  req: ConnectRequest & { id?: string; name: string; portBindings?: readonly PortBinding[]; addressesHeldByEngine?: boolean },
): Promise<EndpointRecord> {
  const nameError = validateName("endpoint", req.name);
  if (nameError) throw new InvalidParameterError(nameError);
  if (req.ipv6Address && !net.enableIPv6) {
    throw new InvalidParameterError(`network ${net.name} has no IPv6: cannot assign ${req.ipv6Address}`);
  }
  if (!ctx.networks.has(net.id) || ctx.deletingNetworks.has(net.id)) throw new NotFoundError(`network ${net.name} not found`);
  if (req.id !== undefined && !/^[0-9a-f]{64}$/.test(req.id)) throw new InvalidParameterError(`endpoint id "${printable(req.id)}" is not 64 hex digits`);
  if (req.id !== undefined && ctx.endpoints.has(req.id)) throw new ConflictError(`endpoint ${req.id} already exists`);
  const sameName = ctx.endpoints.named(net.id, req.name);
  if (sameName && ctx.pendingDeletions.has(sameName.id)) await finishPendingDeletion(ctx, sameName);
  if (ctx.claims.hasEndpoint(net.id, req.name) || ctx.endpoints.named(net.id, req.name)) {
    throw new ConflictError(`endpoint with name ${req.name} already exists in network ${net.name}`);
  }
  ctx.claims.addEndpoint(net.id, req.name);
  try {
    const { ipam, capability } = ctx.ipams.get(net.ipamDriver);
    const rec: EndpointRecord = {
      id: req.id ?? newId(),
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
      if (req.addressesHeldByEngine) {
        adoptEngineAddresses(net, rec, req);
      } else if (net.ipv4.length > 0) {
        const got = await allocateFrom(ipam, net.ipv4, req.ipv4Address, net.name, addressOptions);
        rec.address = got.address;
        rec.poolIdV4 = got.poolId;
      } else if (req.ipv4Address) {
        throw new InvalidParameterError(`network ${net.name} manages no addresses: cannot assign ${req.ipv4Address}`);
      }
      if (!req.addressesHeldByEngine && net.ipv6.length > 0) {
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
        await bestEffort(ctx.log, `undoing endpoint ${rec.name} in the ${net.driver} driver`, () => driver.deleteEndpoint(net.id, rec.id));
        throw err;
      }
      ctx.endpoints.set(rec);
      return rec;
    } catch (err) {
      if (isClusterNetwork(ctx, net)) {
        await bestEffort(ctx.log, `undoing the registration of endpoint ${rec.name} on network ${net.name} in the cluster store`, () =>
          ctx.globalStore!.deleteEndpoint(net.id, rec.id),
        );
      }
      await releaseHeldAddresses(ctx.log, ipam, rec, false);
      throw err;
    }
  } finally {
    ctx.claims.deleteEndpoint(net.id, req.name);
    // A failed first endpoint must not leave the network made on this host for nothing.
    if (isClusterNetwork(ctx, net)) await bestEffort(ctx.log, `releasing network ${net.name} on this host`, () => releaseIfUnused(ctx, net));
  }
}

/**
 * Takes the addresses an engine reserved (Controller.reserveAddress) as the
 * endpoint's, without asking IPAM again: each must lie in one of the network's
 * pools, whose id is kept so a restart can replay it.
 */
function adoptEngineAddresses(net: NetworkRecord, rec: EndpointRecord, req: { ipv4Address?: string; ipv6Address?: string }): void {
  rec.addressesHeldByEngine = true;
  for (const [address, grants, v6] of [
    [req.ipv4Address, net.ipv4, false],
    [req.ipv6Address, net.ipv6, true],
  ] as const) {
    if (!address) continue;
    const held = grantHolding(grants, address);
    if (!held) throw new InvalidParameterError(`address ${address} is in no subnet of network ${net.name}`);
    if (v6) {
      rec.addressIPv6 = held.cidr;
      rec.poolIdV6 = held.grant.poolId;
    } else {
      rec.address = held.cidr;
      rec.poolIdV4 = held.grant.poolId;
    }
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
 * is thrown; otherwise it is logged, as on undo paths.
 */
async function releaseHeldAddresses(log: Logger, ipam: Ipam, rec: EndpointRecord, strict: boolean): Promise<void> {
  // An engine's reservations are the engine's to release (Docker's ReleaseAddress).
  if (rec.addressesHeldByEngine) return;
  const step = (address: string, f: () => Promise<void>) => (strict ? f() : bestEffort(log, `releasing address ${address} of endpoint ${rec.name}`, f));
  const { poolIdV4, address, poolIdV6, addressIPv6 } = rec;
  if (poolIdV4 && address) {
    await step(address, async () => {
      await ipam.releaseAddress(poolIdV4, address);
      delete rec.poolIdV4;
    });
  }
  if (poolIdV6 && addressIPv6) {
    await step(addressIPv6, async () => {
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
      ctx.log.warn(`plugin ${net.driver} did not delete endpoint ${rec.name} of network ${net.name} (deleted here all the same): ${errorText(err)}`);
    });
    // In a cluster a failed release must fail the deletion (to be retried), or the address would leak for good.
    await releaseHeldAddresses(ctx.log, ctx.ipams.get(net.ipamDriver).ipam, rec, isClusterNetwork(ctx, net));
    // Unregistered last: while the cluster still lists it, nobody can delete the network under it.
    if (isClusterNetwork(ctx, net)) await ctx.globalStore!.deleteEndpoint(net.id, rec.id);
    await ctx.store.deleteEndpoint(rec.id);
    ctx.endpoints.delete(rec.id);
  });
  const net = ctx.networks.get(rec.networkId);
  if (net && isClusterNetwork(ctx, net)) await releaseIfUnused(ctx, net);
}

/**
 * deleteEndpoint for an endpoint its sandbox has already left (disconnect,
 * sandbox removal). By then what the caller asked for is done: the sandbox is
 * off the network, its interface and peer records are gone. What may still
 * fail is the endpoint's bookkeeping in the cluster store (its address, its
 * registration) while the store is away or slower than a call's deadline.
 *
 * Failing the operation there would strand an endpoint no sandbox holds: no
 * disconnect reaches it (the sandbox is not connected any more), it keeps its
 * name taken (the sandbox cannot connect again) and the network undeletable,
 * until a restart cleans it. So the deletion is finished in the background
 * instead, retried until the store answers, and the operation succeeds.
 */
export async function deleteLeftEndpoint(ctx: ControllerContext, ep: EndpointRecord): Promise<void> {
  try {
    await deleteEndpoint(ctx, ep);
  } catch (err) {
    if (!(err instanceof UnavailableError)) throw err;
    ctx.log.warn(`endpoint ${ep.name}: its deletion waits for the cluster store (${errorText(err)}); retrying in the background`);
    ctx.pendingDeletions.start(
      ep.id,
      async () => {
        // Gone already: finished by a connect under its name (finishPendingDeletion).
        if (ctx.endpoints.has(ep.id)) await deleteEndpoint(ctx, ep);
      },
      (failure) => ctx.log.warn(`endpoint ${ep.name}: deletion given up until the next restart cleans it: ${errorText(failure)}`),
    );
  }
}

/**
 * Finishes the deletion of a left endpoint now, when one is pending: what a
 * connect under the same name does first, so it meets the store's real state
 * (a 503 while it is still away) rather than a name taken by a ghost.
 */
async function finishPendingDeletion(ctx: ControllerContext, ep: EndpointRecord): Promise<void> {
  await deleteEndpoint(ctx, ep);
  ctx.pendingDeletions.settle(ep.id);
}
