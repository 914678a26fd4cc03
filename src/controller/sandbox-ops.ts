import { existsSync } from "node:fs";
import type { EndpointRecord, JoinRecord, SandboxCreateRequest, SandboxRecord } from "../controllerapi/index.js";
import type { PortBinding } from "../driverapi/index.js";
import { ConflictError, InvalidParameterError, NotFoundError } from "../errors.js";
import { bestEffort } from "./best-effort.js";
import { publishEntries, withdrawEntries } from "./cluster/network-gossip.js";
import type { ControllerContext } from "./context.js";
import { nameRecordOf, sandboxRecords, upstreamsOf } from "./dns/sandbox-dns.js";
import type { NameRecord } from "./dns/service-records.js";
import { hostResolvConf, removeSandboxFiles, updateHosts, updateResolvConf, writeSandboxFiles } from "./dns/sandbox-files.js";
import { encodeServiceRecord, SERVICE_TABLE } from "./dns/service-table.js";
import { deleteLeftEndpoint } from "./endpoint-ops.js";
import { EndpointJoinInfo, emptyJoinResult, type JoinResult } from "./endpoint-info.js";
import { selectGatewayEndpoint } from "./gateway.js";
import { newId, shortId, validateName } from "./ids.js";
import { gossips, servesNames } from "./policy.js";

/**
 * The key of a host-network sandbox: the namespace of the process that opens it,
 * which for the daemon and anything it starts on the host is the host's own.
 * (/proc/1/ns/net would name PID 1's, which a sandboxed daemon may not open.)
 */
export const HOST_NAMESPACE = "/proc/self/ns/net";

export async function createSandbox(ctx: ControllerContext, req: SandboxCreateRequest): Promise<SandboxRecord> {
  const nameError = validateName("sandbox", req.name);
  if (nameError) throw new InvalidParameterError(nameError);
  if (ctx.claims.sandboxes.has(req.name) || [...ctx.sandboxes.values()].some((s) => s.name === req.name)) {
    throw new ConflictError(`sandbox with name ${req.name} already exists`);
  }
  ctx.claims.sandboxes.add(req.name);
  const id = newId();
  let key: string | undefined;
  try {
    key = req.useHostNetwork ? HOST_NAMESPACE : await ctx.osl.createSandbox(`${ctx.prefix}-${shortId(id)}`);
    const rec = newSandboxRecord(id, key, req);
    writeSandboxFiles(ctx.log, ctx.runDir, rec, []);
    await ctx.store.putSandbox(rec);
    ctx.sandboxes.set(id, rec);
    return rec;
  } catch (err) {
    removeSandboxFiles(ctx.runDir, id);
    const made = key;
    if (made && !req.useHostNetwork) await bestEffort(ctx.log, `undoing sandbox ${req.name}: removing namespace ${made}`, () => ctx.osl.destroySandbox(made));
    throw err;
  } finally {
    ctx.claims.sandboxes.delete(req.name);
  }
}

/** A sandbox's record as a request describes it, joined to nothing yet; `engine` for a sandbox a container engine owns. */
export function newSandboxRecord(id: string, key: string, req: SandboxCreateRequest, engine?: string): SandboxRecord {
  return {
    id,
    name: req.name,
    key,
    hostname: req.hostname ?? req.name,
    domainname: req.domainname ?? "",
    dns: req.dns ?? [],
    dnsSearch: req.dnsSearch ?? [],
    extraHosts: req.extraHosts ?? [],
    portBindings: req.portBindings ?? [],
    created: new Date().toISOString(),
    endpoints: [],
    joinCounter: 0,
    useHostNetwork: req.useHostNetwork ?? false,
    ...(engine !== undefined ? { engine } : {}),
  };
}

/**
 * Removes the namespace first, then leaves every network and deletes those
 * endpoints (as removing a container does). Destroying the namespace lets the
 * kernel tear all its interfaces down in one batch, in the background; leaving
 * interface by interface would cost an RCU grace period (~17 ms) each.
 */
export async function deleteSandbox(ctx: ControllerContext, sb: SandboxRecord): Promise<void> {
  const detached = await ctx.locks.run(`sandbox:${sb.id}`, async () => {
    if (!ctx.sandboxes.has(sb.id)) return [];
    // Its sockets hold the namespace: closed first, so the namespace really goes.
    await ctx.resolvers.stop(sb.id);
    // An engine's namespace is the engine's to remove.
    if (!sb.useHostNetwork && sb.engine === undefined) await ctx.osl.destroySandbox(sb.key);
    const eps: EndpointRecord[] = [];
    for (const eid of [...sb.endpoints].reverse()) {
      const ep = ctx.endpoints.get(eid);
      if (!ep) continue;
      await leaveLocked(ctx, sb, ep, { sandboxGone: true });
      eps.push(ep);
    }
    removeSandboxFiles(ctx.runDir, sb.id);
    await ctx.store.deleteSandbox(sb.id);
    ctx.sandboxes.delete(sb.id);
    return eps;
  });
  for (const ep of detached) await deleteLeftEndpoint(ctx, ep);
}

function joinedEndpoints(ctx: ControllerContext, sb: SandboxRecord): EndpointRecord[] {
  return sb.endpoints.map((id) => ctx.endpoints.get(id)).filter((e): e is EndpointRecord => e !== undefined);
}

function nextInterfaceName(ctx: ControllerContext, sb: SandboxRecord, prefix: string): string {
  const used = new Set(joinedEndpoints(ctx, sb).map((e) => e.join?.ifName));
  for (let i = 0; ; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`;
}

/**
 * Joins an endpoint to a sandbox: the driver decides names, gateway and
 * routes; the OS layer moves and configures the interface; the gateway
 * endpoint is recomputed; endpoint-owned table entries go to the cluster.
 * Every step is undone if a later one fails.
 */
export async function join(ctx: ControllerContext, sb: SandboxRecord, ep: EndpointRecord, priority = 0): Promise<void> {
  await ctx.locks.run(`sandbox:${sb.id}`, () => joinLocked(ctx, sb, ep, { priority, order: sb.joinCounter + 1 }));
}

/** How a join is done: fresh, or (restore) rebuilding a join whose kernel side survived a daemon restart. */
export interface JoinMode {
  readonly priority: number;
  readonly order: number;
  /** The interface to keep: it exists in the sandbox already; the driver only rebuilds its state. */
  readonly liveIfName?: string;
  /** With liveIfName: what the join decided before the restart. */
  readonly previous?: JoinRecord;
}

/** join() for a caller that holds the sandbox's lock. */
export async function joinLocked(ctx: ControllerContext, sb: SandboxRecord, ep: EndpointRecord, mode: JoinMode): Promise<void> {
  if (!ctx.sandboxes.has(sb.id)) throw new NotFoundError(`sandbox ${sb.name} not found`);
  if (ep.sandboxId) throw new ConflictError(`endpoint ${ep.name} is already joined to a sandbox`);
  const net = ctx.networks.get(ep.networkId);
  if (!net) throw new NotFoundError(`network ${ep.networkId} not found`);
  if (sb.endpoints.some((id) => ctx.endpoints.get(id)?.networkId === net.id)) {
    throw new ConflictError(`sandbox ${sb.name} is already connected to network ${net.name}`);
  }
  if (sb.useHostNetwork !== (net.driver === "host")) {
    throw new ForbiddenHostMixError(sb, net.name);
  }
  const { driver } = ctx.drivers.get(net.driver);
  const result = emptyJoinResult();
  const engine = sb.engine !== undefined;
  // An engine's sandbox cannot be looked into: a restore trusts the driver to find its interface.
  const restore = mode.liveIfName !== undefined || (engine && mode.previous !== undefined);
  if (restore && mode.previous && !driver.isBuiltIn()) {
    // A plugin cannot be told a join is a restore (the protocol has no such
    // field) and would make its interface again: as Docker, it is not asked;
    // the join it answered before the restart stands.
    replayJoin(result, mode.previous);
  } else {
    await driver.join(net.id, ep.id, sb.key, new EndpointJoinInfo(result), {
      driverOpts: ep.driverOpts,
      restore,
      ...(engine ? { engineMovesInterface: true } : {}),
    });
  }
  const undo: { what: string; step: () => unknown }[] = [{ what: `the ${net.driver} driver's leave`, step: () => driver.leave(net.id, ep.id) }];
  const named = servesNames(net);
  try {
    const record: JoinRecord = {
      staticRoutes: result.staticRoutes,
      disableGatewayService: result.disableGatewayService || net.internal,
      tableEntries: [],
      priority: mode.priority,
      order: mode.order,
    };
    if (result.gateway) record.gateway = result.gateway;
    if (result.gatewayIPv6) record.gatewayIPv6 = result.gatewayIPv6;
    if (engine) {
      // The engine moves and configures the interface itself, once its namespace exists.
      if (result.srcName && result.dstPrefix) record.engineInterface = { srcName: result.srcName, dstPrefix: result.dstPrefix };
    } else if (mode.liveIfName !== undefined) {
      record.ifName = mode.liveIfName;
    } else if (result.srcName && result.dstPrefix) {
      const ifName = nextInterfaceName(ctx, sb, result.dstPrefix);
      const addresses = [ep.address, ep.addressIPv6].filter((a): a is string => a !== undefined);
      await ctx.osl.addInterface(sb.key, {
        srcName: result.srcName,
        dstName: ifName,
        ...(ep.mac ? { mac: ep.mac } : {}),
        addresses,
        routes: result.staticRoutes.map((r) => (r.nextHop ? { destination: r.destination, nextHop: r.nextHop } : { destination: r.destination })),
      });
      record.ifName = ifName;
      undo.push({ what: `removing interface ${ifName}`, step: () => ctx.osl.removeInterface(sb.key, ifName) });
    }
    ep.join = record;
    ep.sandboxId = sb.id;
    sb.endpoints.push(ep.id);
    sb.joinCounter = Math.max(sb.joinCounter, mode.order);
    undo.push({
      what: "forgetting the join",
      step: () => {
        delete ep.join;
        delete ep.sandboxId;
        sb.endpoints = sb.endpoints.filter((id) => id !== ep.id);
      },
    });
    // An engine chooses its sandbox's gateway and asks for external connectivity itself.
    if (!engine) await applyGateway(ctx, sb);
    if (named) {
      const names = nameRecordOf(sb, ep);
      ctx.serviceRecords.set(net.id, ep.id, names);
      undo.push({ what: "forgetting its name record", step: () => ctx.serviceRecords.delete(net.id, ep.id) });
      const entry = serviceEntryOf(ep, names);
      if (entry) result.tableEntries.push(entry);
    }
    // Local-scope networks have no cluster to publish to: their entries go nowhere.
    if (gossips(net)) {
      undo.push({ what: "withdrawing its table entries", step: () => withdrawEntries(ctx, net, ep.name, record.tableEntries) });
      await publishEntries(ctx, net, result.tableEntries, (entry) => record.tableEntries.push(entry));
    }
    if (!engine) updateHosts(ctx.runDir, sb, joinedEndpoints(ctx, sb));
    await ctx.store.putEndpoint(ep);
    await ctx.store.putSandbox(sb);
  } catch (err) {
    const undoing = `undoing the join of endpoint ${ep.name} to sandbox ${sb.name}`;
    for (const { what, step } of undo.reverse()) await bestEffort(ctx.log, `${undoing}: ${what}`, step);
    if (!engine) await bestEffort(ctx.log, `${undoing}: choosing the gateway again`, () => applyGateway(ctx, sb));
    throw err;
  }
  if (named && !sb.useHostNetwork && !engine) await startResolver(ctx, sb);
}

/**
 * Docker's name record of an endpoint, as the service table carries it: how
 * the other hosts' resolvers learn it (IPv4 only, as Docker's). None while
 * the endpoint has no name yet (an engine's container before the engine
 * told its name).
 */
export function serviceEntryOf(ep: EndpointRecord, names: NameRecord): { table: string; key: string; value: Uint8Array } | undefined {
  const [name, ...aliases] = names.names;
  if (!names.ipv4 || name === undefined) return undefined;
  return { table: SERVICE_TABLE, key: ep.id, value: encodeServiceRecord({ name, endpointIp: names.ipv4, taskAliases: aliases }) };
}

/** The sandbox's embedded DNS, at its first network that serves names; resolv.conf then points at it. */
async function startResolver(ctx: ControllerContext, sb: SandboxRecord): Promise<void> {
  if (!ctx.resolvers.enabled || ctx.resolvers.has(sb.id)) return;
  const host = hostResolvConf(ctx.log);
  const upstreams = upstreamsOf(sb, host.nameservers);
  if (await ctx.resolvers.ensure(sb, sandboxRecords(ctx, sb), upstreams)) updateResolvConf(ctx.runDir, sb, host, upstreams);
}

function replayJoin(result: JoinResult, previous: JoinRecord): void {
  if (previous.engineInterface) {
    result.srcName = previous.engineInterface.srcName;
    result.dstPrefix = previous.engineInterface.dstPrefix;
  }
  if (previous.gateway) result.gateway = previous.gateway;
  if (previous.gatewayIPv6) result.gatewayIPv6 = previous.gatewayIPv6;
  result.staticRoutes.push(...previous.staticRoutes);
  result.disableGatewayService = previous.disableGatewayService;
}

class ForbiddenHostMixError extends ConflictError {
  constructor(sb: SandboxRecord, network: string) {
    super(
      sb.useHostNetwork
        ? `sandbox ${sb.name} uses the host's network: it cannot connect to network ${network}`
        : `network ${network} is the host's network: only a host-network sandbox can connect to it`,
    );
  }
}

/** Leaves: table entries first (so peers stop using the endpoint), then the kernel, then the driver. */
export async function leave(ctx: ControllerContext, sb: SandboxRecord, ep: EndpointRecord): Promise<void> {
  await ctx.locks.run(`sandbox:${sb.id}`, () => leaveLocked(ctx, sb, ep, { sandboxGone: false }));
}

/** leave() for a caller that holds the sandbox's lock. With sandboxGone, the namespace no longer exists. */
async function leaveLocked(ctx: ControllerContext, sb: SandboxRecord, ep: EndpointRecord, opts: { sandboxGone: boolean }): Promise<void> {
  {
    if (ep.sandboxId !== sb.id || !ep.join) throw new NotFoundError(`endpoint ${ep.name} is not joined to sandbox ${sb.name}`);
    const net = ctx.networks.get(ep.networkId);
    const j = ep.join;
    if (net) await withdrawEntries(ctx, net, ep.name, j.tableEntries);
    ctx.serviceRecords.delete(ep.networkId, ep.id);
    const wasGateway = sb.gatewayEndpoint === ep.id;
    if (wasGateway && net) {
      await bestEffort(ctx.log, `endpoint ${ep.name} leaving sandbox ${sb.name}: revoking its external connectivity (published ports)`, () =>
        ctx.drivers.get(net.driver).driver.revokeExternalConnectivity(net.id, ep.id),
      );
      delete sb.gatewayEndpoint;
    }
    if (j.ifName && !opts.sandboxGone && existsSync(sb.key)) await ctx.osl.removeInterface(sb.key, j.ifName);
    if (net) await ctx.drivers.get(net.driver).driver.leave(net.id, ep.id);
    delete ep.join;
    delete ep.sandboxId;
    sb.endpoints = sb.endpoints.filter((id) => id !== ep.id);
    if (!opts.sandboxGone && sb.engine === undefined) {
      await applyGateway(ctx, sb);
      updateHosts(ctx.runDir, sb, joinedEndpoints(ctx, sb));
    }
    await ctx.store.putEndpoint(ep);
    await ctx.store.putSandbox(sb);
  }
}

/**
 * The endpoint's published ports, with the host ports it was given before (a
 * restart must give the same ones back: clients know them).
 */
function bindingsToProgram(ep: EndpointRecord): PortBinding[] {
  return ep.portBindings.map((b, i) => {
    const port = ep.hostPorts?.[i];
    if (!port) return b;
    const { hostPortEnd: _range, ...rest } = b;
    return { ...rest, hostPort: port };
  });
}

/** Reads back which host port each binding got, from the driver's portmap (Docker's format). */
function hostPortsOf(ep: EndpointRecord, operInfo: Record<string, unknown>): number[] {
  const portmap = operInfo["com.docker.network.portmap"];
  const entries = Array.isArray(portmap) ? (portmap as { Proto?: string; Port?: number; HostPort?: number }[]) : [];
  return ep.portBindings.map((b) => entries.find((m) => m.Proto === b.proto && m.Port === b.containerPort)?.HostPort ?? 0);
}

/**
 * Points the sandbox's default routes at the chosen gateway endpoint and
 * moves external connectivity (published ports) with it, as libnetwork does.
 */
export async function applyGateway(ctx: ControllerContext, sb: SandboxRecord): Promise<void> {
  const chosen = selectGatewayEndpoint(joinedEndpoints(ctx, sb), (e) => ctx.networks.get(e.networkId));
  if (chosen?.id === sb.gatewayEndpoint) return;
  const previous = sb.gatewayEndpoint ? ctx.endpoints.get(sb.gatewayEndpoint) : undefined;
  if (previous) {
    const pnet = ctx.networks.get(previous.networkId);
    if (pnet) await ctx.drivers.get(pnet.driver).driver.revokeExternalConnectivity(pnet.id, previous.id);
  }
  if (!sb.useHostNetwork) {
    if (chosen?.join?.ifName) {
      await ctx.osl.setGateway(sb.key, {
        dev: chosen.join.ifName,
        ...(chosen.join.gateway ? { ipv4: chosen.join.gateway } : {}),
        ...(chosen.join.gatewayIPv6 ? { ipv6: chosen.join.gatewayIPv6 } : {}),
      });
    } else {
      await ctx.osl.setGateway(sb.key, undefined);
    }
  }
  if (chosen) await programExternalConnectivity(ctx, sb, chosen);
  else delete sb.gatewayEndpoint;
}

/**
 * Makes the endpoint the sandbox's way out: its driver publishes its ports
 * (the host ports it had before, after a restart), and which host port each
 * got is kept.
 */
export async function programExternalConnectivity(ctx: ControllerContext, sb: SandboxRecord, ep: EndpointRecord): Promise<void> {
  sb.gatewayEndpoint = ep.id;
  const net = ctx.networks.get(ep.networkId);
  if (!net) throw new NotFoundError(`network ${ep.networkId} of endpoint ${ep.name} not found`);
  const driver = ctx.drivers.get(net.driver).driver;
  await driver.programExternalConnectivity(net.id, ep.id, {
    portBindings: bindingsToProgram(ep),
    driverOpts: ep.driverOpts,
  });
  if (ep.portBindings.length > 0) ep.hostPorts = hostPortsOf(ep, await driver.endpointOperInfo(net.id, ep.id));
}
