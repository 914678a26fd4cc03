import type { EndpointRecord, EngineJoinRequest, NetworkRecord, SandboxRecord } from "../controllerapi/index.js";
import type { StaticRoute } from "../driverapi/index.js";
import { ConflictError, InvalidParameterError, NotFoundError } from "../errors.js";
import { cidrAddress } from "../inet/index.js";
import { bestEffort } from "./best-effort.js";
import { publishEntries } from "./cluster/network-gossip.js";
import type { ControllerContext } from "./context.js";
import { nameRecordOf } from "./dns/sandbox-dns.js";
import { newId } from "./ids.js";
import { grantHolding } from "./ipam-allocation.js";
import { gossips, servesNames } from "./policy.js";
import { deleteSandbox, joinLocked, leave, newSandboxRecord, programExternalConnectivity, serviceEntryOf } from "./sandbox-ops.js";

/**
 * The controller's side of a container engine that owns its sandboxes
 * (dockerd, through Docker's plugin protocol). The engine's order is not
 * cnm's: it reserves addresses before it asks for an endpoint, joins before
 * the container's namespace exists and moves the interface in itself, picks
 * the gateway and asks for published ports, and releases the addresses after
 * the endpoint is gone. The endpoints and joins are cnm's as any other: their
 * table entries reach every host, and a restart restores them.
 */

/** What an engine needs from a join to set up the container's interface (Docker's Join answer). */
export interface EngineJoinAnswer {
  /** The interface in the host's namespace the engine moves into the container. */
  readonly srcName: string;
  /** The prefix of its name inside ("eth"). */
  readonly dstPrefix: string;
  readonly gateway?: string;
  readonly gatewayIPv6?: string;
  readonly staticRoutes: readonly StaticRoute[];
  readonly disableGatewayService: boolean;
}

/**
 * Reserves an address of the network for the engine, from the network's own
 * IPAM (the cluster's for a global network, so hosts never collide): the
 * preferred one exactly, else any free one. Returns it with the pool's prefix.
 */
export async function reserveAddress(ctx: ControllerContext, net: NetworkRecord, req: { v6: boolean; preferred?: string }): Promise<string> {
  const grants = req.v6 ? net.ipv6 : net.ipv4;
  if (grants.length === 0) throw new InvalidParameterError(`network ${net.name} has no IPv${req.v6 ? 6 : 4} subnet`);
  const { ipam } = ctx.ipams.get(net.ipamDriver);
  if (req.preferred) {
    const held = grantHolding(grants, req.preferred);
    if (!held) throw new InvalidParameterError(`address ${req.preferred} is in no subnet of network ${net.name}`);
    return (await ipam.requestAddress(held.grant.poolId, cidrAddress(req.preferred))).address;
  }
  let lastError: unknown;
  for (const grant of grants) {
    try {
      return (await ipam.requestAddress(grant.poolId)).address;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * Releases an address the engine reserved. One that an endpoint or the
 * network itself (gateway, aux addresses) holds is never released: a late or
 * repeated release from the engine must not free it under its holder.
 * Returns whether it was released.
 */
export async function releaseAddress(ctx: ControllerContext, net: NetworkRecord, address: string): Promise<boolean> {
  const held = grantHolding([...net.ipv4, ...net.ipv6], address);
  if (!held) throw new InvalidParameterError(`address ${address} is in no subnet of network ${net.name}`);
  const ip = cidrAddress(address);
  const inUse =
    ctx.endpoints.onNetwork(net.id).some((e) => cidrAddress(e.address) === ip || cidrAddress(e.addressIPv6) === ip) ||
    [...net.ipv4, ...net.ipv6].some((g) => cidrAddress(g.gateway) === ip || Object.values(g.auxAddresses).some((a) => cidrAddress(a) === ip));
  if (inUse) return false;
  await ctx.ipams.get(net.ipamDriver).ipam.releaseAddress(held.grant.poolId, ip);
  return true;
}

/**
 * A subnet the default IPAM would give a new local network now, for an engine
 * that must name the pool before it names the network (Docker asks its IPAM
 * first). Not held: the network's creation claims it, and fails clearly if
 * another network took it in between.
 */
export async function suggestSubnet(ctx: ControllerContext, v6: boolean): Promise<string> {
  const { ipam } = ctx.ipams.get("default");
  const spaces = await ipam.getDefaultAddressSpaces();
  const pool = await ipam.requestPool({ addressSpace: spaces.local, v6 });
  await ipam.releasePool(pool.poolId);
  return pool.pool;
}

/** The engine's sandbox of that key, made (a record only: the namespace is the engine's) at its first join. */
async function engineSandbox(ctx: ControllerContext, req: EngineJoinRequest): Promise<SandboxRecord> {
  return ctx.locks.run(`engine-sandbox:${req.engine}:${req.sandboxKey}`, async () => {
    const found = [...ctx.sandboxes.values()].find((s) => s.engine === req.engine && s.key === req.sandboxKey);
    if (found) return found;
    const base = req.sandboxKey.slice(req.sandboxKey.lastIndexOf("/") + 1).replace(/[^a-zA-Z0-9_.-]/g, "");
    const name = `${req.engine}-${base || newId().slice(0, 12)}`;
    if ([...ctx.sandboxes.values()].some((s) => s.name === name)) throw new ConflictError(`sandbox with name ${name} already exists`);
    const rec = newSandboxRecord(newId(), req.sandboxKey, { name }, req.engine);
    await ctx.store.putSandbox(rec);
    ctx.sandboxes.set(rec.id, rec);
    return rec;
  });
}

/** Joins an endpoint to the engine's sandbox; its interface waits in the host's namespace for the engine. */
export async function engineJoin(ctx: ControllerContext, ep: EndpointRecord, req: EngineJoinRequest): Promise<EngineJoinAnswer> {
  const sb = await engineSandbox(ctx, req);
  try {
    await ctx.locks.run(`sandbox:${sb.id}`, () => joinLocked(ctx, sb, ep, { priority: 0, order: sb.joinCounter + 1 }));
  } catch (err) {
    if (sb.endpoints.length === 0) await bestEffort(ctx.log, `forgetting the empty sandbox ${sb.name}`, () => deleteSandbox(ctx, sb));
    throw err;
  }
  const j = ep.join!;
  if (!j.engineInterface) throw new InvalidParameterError(`the ${ctx.networks.get(ep.networkId)?.driver} driver gave endpoint ${ep.name} no interface`);
  return {
    srcName: j.engineInterface.srcName,
    dstPrefix: j.engineInterface.dstPrefix,
    ...(j.gateway ? { gateway: j.gateway } : {}),
    ...(j.gatewayIPv6 ? { gatewayIPv6: j.gatewayIPv6 } : {}),
    staticRoutes: j.staticRoutes,
    disableGatewayService: j.disableGatewayService,
  };
}

/** The engine sandbox an endpoint is joined to. */
function engineSandboxOf(ctx: ControllerContext, ep: EndpointRecord): SandboxRecord {
  const sb = ep.sandboxId ? ctx.sandboxes.get(ep.sandboxId) : undefined;
  if (!sb) throw new NotFoundError(`endpoint ${ep.name} is not joined`);
  if (sb.engine === undefined) throw new ConflictError(`endpoint ${ep.name} is joined to sandbox ${sb.name}, which no engine owns`);
  return sb;
}

/** Leaves the engine's sandbox; the sandbox's record goes with its last endpoint. */
export async function engineLeave(ctx: ControllerContext, ep: EndpointRecord): Promise<void> {
  const sb = engineSandboxOf(ctx, ep);
  await leave(ctx, sb, ep);
  if (sb.endpoints.length === 0) await deleteSandbox(ctx, sb);
}

/** The engine made this endpoint its container's way out: its ports are published. */
export async function programEngineConnectivity(ctx: ControllerContext, ep: EndpointRecord): Promise<void> {
  const sb = engineSandboxOf(ctx, ep);
  await ctx.locks.run(`sandbox:${sb.id}`, async () => {
    if (sb.gatewayEndpoint === ep.id) return;
    if (sb.gatewayEndpoint) await revokeLocked(ctx, sb, sb.gatewayEndpoint);
    await programExternalConnectivity(ctx, sb, ep);
    await ctx.store.putEndpoint(ep);
    await ctx.store.putSandbox(sb);
  });
}

/** The engine moved its container's way out elsewhere: this endpoint's ports are withdrawn. */
export async function revokeEngineConnectivity(ctx: ControllerContext, ep: EndpointRecord): Promise<void> {
  const sb = ep.sandboxId ? ctx.sandboxes.get(ep.sandboxId) : undefined;
  if (!sb || sb.gatewayEndpoint !== ep.id) return;
  await ctx.locks.run(`sandbox:${sb.id}`, async () => {
    if (sb.gatewayEndpoint === ep.id) await revokeLocked(ctx, sb, ep.id);
    await ctx.store.putSandbox(sb);
  });
}

async function revokeLocked(ctx: ControllerContext, sb: SandboxRecord, endpointId: string): Promise<void> {
  const ep = ctx.endpoints.get(endpointId);
  const net = ep && ctx.networks.get(ep.networkId);
  if (ep && net) await ctx.drivers.get(net.driver).driver.revokeExternalConnectivity(net.id, ep.id);
  delete sb.gatewayEndpoint;
}

/**
 * The names an engine's container answers to on the endpoint's network (the
 * container's name and aliases), learnt after the join: its name record is
 * set here and in the cluster's table, so every host resolves it.
 */
export async function setEngineNames(ctx: ControllerContext, ep: EndpointRecord, names: readonly string[]): Promise<void> {
  const sb = engineSandboxOf(ctx, ep);
  const net = ctx.networks.get(ep.networkId);
  if (!net) throw new NotFoundError(`network ${ep.networkId} of endpoint ${ep.name} not found`);
  await ctx.locks.run(`sandbox:${sb.id}`, async () => {
    if (ep.sandboxId !== sb.id || !ep.join) return;
    ep.engineNames = [...new Set(names)];
    await ctx.store.putEndpoint(ep);
    if (!servesNames(net)) return;
    const record = nameRecordOf(sb, ep);
    ctx.serviceRecords.set(net.id, ep.id, record);
    const entry = serviceEntryOf(ep, record);
    if (!entry || !gossips(net)) return;
    const join = ep.join;
    await publishEntries(ctx, net, [entry], (published) => {
      if (!join.tableEntries.some((e) => e.table === published.table && e.key === published.key)) join.tableEntries.push(published);
    });
    await ctx.store.putEndpoint(ep);
  });
}
