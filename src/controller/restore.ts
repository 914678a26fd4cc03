import { existsSync } from "node:fs";
import type { EndpointRecord, IpamConfig, IpamGrant, NetworkRecord, SandboxRecord } from "../controllerapi/index.js";
import { cidrAddress } from "../inet/index.js";
import { bestEffort } from "./best-effort.js";
import type { ControllerContext } from "./context.js";
import { writeSandboxFiles } from "./dns/sandbox-files.js";
import { EndpointInterfaceInfo, type InterfaceState } from "./endpoint-info.js";
import { deleteEndpoint } from "./endpoint-ops.js";
import { GATEWAY_REQUEST } from "./ipam-allocation.js";
import { addressSpaceOf, instantiateNetwork, releaseIfUnused } from "./network-ops.js";
import { isClusterNetwork } from "./policy.js";
import { joinLocked, programExternalConnectivity } from "./sandbox-ops.js";
import { errorText } from "../log/index.js";

/** What a restart found and did. */
export interface RestoreReport {
  networks: number;
  endpoints: number;
  sandboxes: number;
  /** Joins whose kernel side had survived and was kept as it was (live restore). */
  kept: number;
  /** Joins whose kernel side was gone and was made again. */
  rebuilt: number;
  /** Endpoints left by a connect the daemon died in the middle of (never answered): removed. */
  removed: number;
  /** Objects that could not be restored, with the reason; they stay in the store. */
  failed: string[];
}

/**
 * Rebuilds the controller from its store after a restart and reconciles the
 * kernel with it: IPAM gets its pools and addresses back (the same ones),
 * drivers replay createNetwork/createEndpoint/join (adopting the bridges and
 * veth pairs that survived), sandboxes whose namespace vanished are made again,
 * and published ports get their old host ports. Nothing is torn down, so
 * traffic between sandboxes flows on while the daemon is away and after.
 */
export async function restore(ctx: ControllerContext): Promise<RestoreReport> {
  const report: RestoreReport = { networks: 0, endpoints: 0, sandboxes: 0, kept: 0, rebuilt: 0, removed: 0, failed: [] };
  const { networks, endpoints, sandboxes } = await ctx.store.loadAll();
  const poolIds = new Map<string, string>();
  for (const stored of networks) {
    // A global network's record is the cluster's; the local copy is a cache for when the store is away.
    const net = (isClusterNetwork(ctx, stored) && ctx.networks.get(stored.id)) || stored;
    try {
      // A plugin that is not up now fails only its own networks; their records stay for the next start.
      await ctx.drivers.resolve(net.driver);
      await ctx.ipams.resolve(net.ipamDriver);
    } catch (err) {
      report.failed.push(`network ${net.name}: driver "${net.driver}" or IPAM "${net.ipamDriver}" not available (${errorText(err)}); its record is kept`);
      continue;
    }
    try {
      if (isClusterNetwork(ctx, net)) {
        await instantiateNetwork(ctx, net, { restoring: true });
        ctx.liveNetworks.add(net.id);
      } else {
        await restoreNetwork(ctx, net, poolIds);
      }
      ctx.networks.set(net.id, net);
      report.networks++;
    } catch (err) {
      report.failed.push(`network ${net.name}: ${errorText(err)}`);
    }
  }
  /** Endpoints whose network is not back (e.g. its plugin is down): their sandboxes keep them for a later start. */
  const awaiting = new Set<string>();
  for (const ep of endpoints) {
    const net = ctx.networks.get(ep.networkId);
    if (!net) {
      report.failed.push(`endpoint ${ep.name}: its network ${ep.networkId} was not restored; its record is kept`);
      awaiting.add(ep.id);
      continue;
    }
    try {
      await restoreEndpoint(ctx, net, ep, poolIds);
      ctx.endpoints.set(ep);
      report.endpoints++;
    } catch (err) {
      report.failed.push(`endpoint ${ep.name}: ${errorText(err)}`);
    }
  }
  for (const sb of sandboxes) {
    try {
      await restoreSandbox(ctx, sb, report, awaiting);
      report.sandboxes++;
    } catch (err) {
      report.failed.push(`sandbox ${sb.name}: ${errorText(err)}`);
    }
  }
  // Every endpoint is made by a connect, which joins it at once: one that no
  // sandbox holds is what a connect interrupted by a crash left behind.
  for (const ep of [...ctx.endpoints.values()]) {
    const holder = ep.sandboxId ? ctx.sandboxes.get(ep.sandboxId) : undefined;
    if (holder?.endpoints.includes(ep.id)) continue;
    delete ep.join;
    delete ep.sandboxId;
    // An engine's endpoint swept here is one whose container went while cnm was away: the
    // engine's release of its addresses was lost then, so they go with the endpoint.
    delete ep.addressesHeldByEngine;
    try {
      await deleteEndpoint(ctx, ep);
      report.removed++;
    } catch (err) {
      report.failed.push(`endpoint ${ep.name} (left by an interrupted connect): ${errorText(err)}`);
    }
  }
  // A cluster network whose endpoints here all went is released on this host.
  for (const nid of [...ctx.liveNetworks]) {
    const net = ctx.networks.get(nid);
    if (net) await releaseIfUnused(ctx, net).catch((err) => report.failed.push(`network ${net.name}: ${errorText(err)}`));
  }
  return report;
}

async function restoreNetwork(ctx: ControllerContext, net: NetworkRecord, poolIds: Map<string, string>): Promise<void> {
  const { ipam, capability } = ctx.ipams.get(net.ipamDriver);
  // A driver that remembers its pools (a plugin without RequiresRequestReplay) keeps the stored ids.
  if (!capability.requiresRequestReplay) return instantiateNetwork(ctx, net, { restoring: true });
  const space = await addressSpaceOf(ctx, net);
  const replay = async (grants: IpamGrant[], configs: readonly IpamConfig[], v6: boolean): Promise<IpamGrant[]> => {
    const out: IpamGrant[] = [];
    for (const [i, g] of grants.entries()) {
      const ipRange = configs[i]?.ipRange;
      const pool = await ipam.requestPool({ addressSpace: space, pool: g.pool, ...(ipRange ? { subPool: ipRange } : {}), options: net.ipamOptions, v6 });
      poolIds.set(g.poolId, pool.poolId);
      if (g.gateway && !g.gatewayFromPool) await ipam.requestAddress(pool.poolId, cidrAddress(g.gateway), GATEWAY_REQUEST);
      for (const aux of Object.values(g.auxAddresses)) await ipam.requestAddress(pool.poolId, cidrAddress(aux));
      out.push({ ...g, poolId: pool.poolId });
    }
    return out;
  };
  net.ipv4 = await replay(net.ipv4, net.ipv4Config, false);
  net.ipv6 = await replay(net.ipv6, net.ipv6Config, true);
  await instantiateNetwork(ctx, net, { restoring: true });
}

async function restoreEndpoint(ctx: ControllerContext, net: NetworkRecord, ep: EndpointRecord, poolIds: Map<string, string>): Promise<void> {
  if (isClusterNetwork(ctx, net)) {
    // Its addresses are held in the cluster store, not replayed. It stays registered there
    // across the restart; registering again repairs a registration lost meanwhile (the next restart tries again).
    await bestEffort(ctx.log, `registering endpoint ${ep.name} of network ${net.name} again in the cluster store`, () =>
      ctx.globalStore!.putEndpoint(net.id, { id: ep.id, name: ep.name, host: ctx.nodeName, ...(ep.address ? { address: ep.address } : {}) }),
    );
  } else {
    await replayAddresses(ctx, net, ep, poolIds);
  }
  const { driver } = ctx.drivers.get(net.driver);
  // A plugin keeps its own state across cnm's restarts and is not asked again, as Docker does not.
  if (!driver.isBuiltIn()) return;
  const iface: InterfaceState = {};
  if (ep.mac) iface.mac = ep.mac;
  if (ep.address) iface.address = ep.address;
  if (ep.addressIPv6) iface.addressIPv6 = ep.addressIPv6;
  await driver.createEndpoint(net.id, ep.id, new EndpointInterfaceInfo(iface), {
    portBindings: ep.portBindings,
    driverOpts: ep.driverOpts,
  });
}

async function replayAddresses(ctx: ControllerContext, net: NetworkRecord, ep: EndpointRecord, poolIds: Map<string, string>): Promise<void> {
  const { ipam, capability } = ctx.ipams.get(net.ipamDriver);
  if (!capability.requiresRequestReplay) return;
  if (ep.poolIdV4 && ep.address) {
    ep.poolIdV4 = poolIds.get(ep.poolIdV4) ?? ep.poolIdV4;
    await ipam.requestAddress(ep.poolIdV4, cidrAddress(ep.address));
  }
  if (ep.poolIdV6 && ep.addressIPv6) {
    ep.poolIdV6 = poolIds.get(ep.poolIdV6) ?? ep.poolIdV6;
    await ipam.requestAddress(ep.poolIdV6, cidrAddress(ep.addressIPv6));
  }
}

async function restoreSandbox(ctx: ControllerContext, sb: SandboxRecord, report: RestoreReport, awaiting: ReadonlySet<string>): Promise<void> {
  if (sb.engine !== undefined) return restoreEngineSandbox(ctx, sb, report, awaiting);
  const survived = sb.useHostNetwork || existsSync(sb.key);
  if (!survived) {
    const name = sb.key.slice(sb.key.lastIndexOf("/") + 1);
    const key = await ctx.osl.createSandbox(name);
    if (key !== sb.key) throw new Error(`namespace made again at ${key}, not ${sb.key}`);
  }
  writeSandboxFiles(ctx.log, ctx.runDir, sb, []);
  ctx.sandboxes.set(sb.id, sb);
  const { joined, kept } = takeJoins(ctx, sb, awaiting);
  for (const ep of joined) {
    const previous = ep.join!;
    delete ep.join;
    delete ep.sandboxId;
    const live = survived && previous.ifName !== undefined && (await ctx.osl.hasInterface(sb.key, previous.ifName));
    try {
      await joinLocked(ctx, sb, ep, {
        priority: previous.priority,
        order: previous.order,
        ...(live ? { liveIfName: previous.ifName!, previous } : {}),
      });
      if (live) report.kept++;
      else report.rebuilt++;
    } catch (err) {
      report.failed.push(`endpoint ${ep.name} in sandbox ${sb.name}: ${errorText(err)}`);
    }
  }
  // Saved with the sandbox, so the start that finds their network again joins them
  // rather than taking them for what an interrupted connect left.
  sb.endpoints.push(...kept);
  await ctx.store.putSandbox(sb);
}

/**
 * An engine's sandbox: its namespace is the engine's (cnm may not even see
 * it), so each join is replayed as a restore and the driver finds the
 * interface by its host end; a join whose interface is gone (its container
 * died while cnm was away) fails, and its endpoint is then swept. The engine
 * asks for published ports only once, so the ports of its way out are
 * programmed again here.
 */
async function restoreEngineSandbox(ctx: ControllerContext, sb: SandboxRecord, report: RestoreReport, awaiting: ReadonlySet<string>): Promise<void> {
  ctx.sandboxes.set(sb.id, sb);
  const wayOut = sb.gatewayEndpoint;
  const { joined, kept } = takeJoins(ctx, sb, awaiting);
  for (const ep of joined) {
    const previous = ep.join!;
    delete ep.join;
    delete ep.sandboxId;
    try {
      await joinLocked(ctx, sb, ep, { priority: previous.priority, order: previous.order, previous });
      report.kept++;
    } catch (err) {
      report.failed.push(`endpoint ${ep.name} in sandbox ${sb.name}: ${errorText(err)}`);
    }
  }
  const gateway = wayOut ? ctx.endpoints.get(wayOut) : undefined;
  if (gateway?.sandboxId === sb.id) {
    await programExternalConnectivity(ctx, sb, gateway).catch((err: unknown) =>
      report.failed.push(`published ports of endpoint ${gateway.name} in sandbox ${sb.name}: ${errorText(err)}`),
    );
  }
  sb.endpoints.push(...kept);
  if (sb.endpoints.length === 0) {
    // Every container of this sandbox went while cnm was away.
    ctx.sandboxes.delete(sb.id);
    await ctx.store.deleteSandbox(sb.id);
    return;
  }
  await ctx.store.putSandbox(sb);
}

/**
 * Empties the sandbox's joins for their replay: the joined endpoints in their
 * original order (so interface names and the gateway come out the same), and
 * the ids of those waiting for a network that is not back yet.
 */
function takeJoins(ctx: ControllerContext, sb: SandboxRecord, awaiting: ReadonlySet<string>): { joined: EndpointRecord[]; kept: string[] } {
  const joined = sb.endpoints
    .map((id) => ctx.endpoints.get(id))
    .filter((e): e is EndpointRecord => e?.join !== undefined)
    .sort((a, b) => a.join!.order - b.join!.order);
  const kept = sb.endpoints.filter((id) => awaiting.has(id));
  sb.endpoints = [];
  delete sb.gatewayEndpoint;
  return { joined, kept };
}
