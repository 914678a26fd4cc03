import { hostname } from "node:os";
import type {
  ClusterAgent,
  ConnectRequest,
  EndpointRecord,
  EngineEndpointRequest,
  EngineJoinRequest,
  GlobalStore,
  NetworkCreateRequest,
  NetworkRecord,
  SandboxCreateRequest,
  SandboxRecord,
  StateStore,
} from "../controllerapi/index.js";
import { LocalAgent } from "../cluster/local-agent.js";
import { DiscoveryType, type DriverInit, type NodeDiscoveryData } from "../driverapi/index.js";
import { InvalidParameterError, NotFoundError } from "../errors.js";
import type { Ipam, Capability as IpamCapability } from "../ipamapi/index.js";
import { errorText, quietLogger, type Logger } from "../log/index.js";
import type { Osl } from "../osl/types.js";
import { MemoryStateStore } from "../store/memory-store.js";
import { bestEffort } from "./best-effort.js";
import { followGlobalStore, type GlobalFeed } from "./cluster/global-feed.js";
import type { ControllerContext } from "./context.js";
import { hostResolvConf, hostsPath, resolvConfPath } from "./dns/sandbox-files.js";
import { hostRecords } from "./dns/sandbox-dns.js";
import type { ResolverRecords, Upstream } from "../resolver/contract.js";
import { ResolverStartError, SandboxResolvers, type ResolverFactory } from "./dns/sandbox-resolvers.js";
import { ServiceRecords } from "./dns/service-records.js";
import { DriverRegistry, type DriverLoader } from "./driver-registry.js";
import { createEndpoint, deleteEndpoint, deleteLeftEndpoint } from "./endpoint-ops.js";
import { EndpointTable } from "./endpoint-table.js";
import {
  engineJoin,
  engineLeave,
  programEngineConnectivity,
  releaseAddress,
  reserveAddress,
  revokeEngineConnectivity,
  setEngineNames,
  suggestSubnet,
  type EngineJoinAnswer,
} from "./engine-ops.js";
import { reconcileDefaultGateway } from "./gateway-network.js";
import { IpamRegistry, type IpamLoader } from "./ipam-registry.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { resolveRef } from "./lookup.js";
import { NameClaims } from "./name-claims.js";
import { createNetwork, deleteNetwork } from "./network-ops.js";
import { PendingDeletions } from "./pending-deletions.js";
import { restore, type RestoreReport } from "./restore.js";
import { createSandbox, deleteSandbox, join, leave } from "./sandbox-ops.js";

export interface ControllerOptions {
  /** Prefix of every kernel object this controller creates (namespaces, links, nftables tables). */
  readonly prefix: string;
  /** Directory for per-sandbox files (hosts, resolv.conf). */
  readonly runDir: string;
  readonly osl: Osl;
  readonly drivers: readonly DriverInit<unknown>[];
  readonly ipams: readonly { name: string; ipam: Ipam; capability: IpamCapability }[];
  /** Loads a network driver the controller does not know (a plugin) when a network names it. */
  readonly driverLoader?: DriverLoader;
  /** Loads an IPAM driver the controller does not know (a plugin) when a network names it. */
  readonly ipamLoader?: IpamLoader;
  readonly agent?: ClusterAgent;
  readonly store?: StateStore;
  /** The cluster's store of global-scope networks (etcd); absent on a host outside a cluster. */
  readonly globalStore?: GlobalStore;
  /** This host's name in the cluster (default: the OS host name). */
  readonly nodeName?: string;
  /** Released by close(), last first (netlink sockets, watchers). */
  readonly resources?: readonly { close(): unknown }[];
  /**
   * Starts a sandbox's embedded DNS (at 127.0.0.11 in its namespace) when it
   * joins a network that serves names. Absent: no embedded DNS, and
   * sandboxes get plain nameservers in their resolv.conf.
   */
  readonly resolverFactory?: ResolverFactory;
  /**
   * A resolver that could not start (a ResolverStartError) or met a problem
   * it carried on past. Default: through the logger, a ResolverStartError at
   * warn, anything else (an upstream that failed a query, which is routine)
   * at debug.
   */
  readonly onResolverError?: (err: unknown, sandbox: string) => void;
  /**
   * Where the controller says what a best-effort step could not do (an undo
   * that failed, an entry that could not be withdrawn, a deletion deferred).
   * Default: quiet, as a library should be; the daemon passes its own.
   */
  readonly logger?: Logger;
  /** Run by destroyAll() after every object is gone (e.g. removing the firewall's tables). */
  readonly teardown?: () => Promise<void>;
}

/** An endpoint together with the network it is on, as inspect shows it. */
export interface EndpointView {
  readonly endpoint: Readonly<EndpointRecord>;
  readonly network: Readonly<NetworkRecord>;
}

/** A sandbox with its files and joined endpoints, as inspect shows it. */
export interface SandboxView {
  readonly sandbox: Readonly<SandboxRecord>;
  readonly hostsPath: string;
  readonly resolvConfPath: string;
  readonly endpoints: readonly EndpointView[];
}

/**
 * The Container Network Model's controller: networks, endpoints and
 * sandboxes, and their lifecycle over pluggable network and IPAM drivers.
 * Operations on different sandboxes run concurrently; operations on one
 * sandbox queue in order.
 */
export class Controller {
  private constructor(
    private readonly ctx: ControllerContext,
    private readonly resources: readonly { close(): unknown }[],
    private readonly teardown: (() => Promise<void>) | undefined,
  ) {}

  static async create(options: ControllerOptions): Promise<Controller> {
    if (!/^[a-z][a-z0-9]{0,5}$/.test(options.prefix)) {
      throw new InvalidParameterError(`prefix "${options.prefix}" must be 1-6 lowercase letters or digits, starting with a letter`);
    }
    const log = options.logger ?? quietLogger;
    const onResolverError =
      options.onResolverError ??
      ((err: unknown, sandbox: string) =>
        err instanceof ResolverStartError ? log.warn(err.message) : log.debug(`embedded DNS of sandbox ${sandbox}: ${errorText(err)}`));
    const ctx: ControllerContext = {
      prefix: options.prefix,
      runDir: options.runDir,
      log,
      drivers: new DriverRegistry(options.driverLoader),
      ipams: new IpamRegistry(options.ipamLoader),
      agent: options.agent ?? new LocalAgent(),
      osl: options.osl,
      store: options.store ?? new MemoryStateStore(),
      globalStore: options.globalStore,
      nodeName: options.nodeName ?? hostname(),
      liveNetworks: new Set(),
      deletedElsewhere: new Set(),
      locks: new KeyedMutex(),
      networks: new Map(),
      endpoints: new EndpointTable(),
      sandboxes: new Map(),
      claims: new NameClaims(),
      deletingNetworks: new Set(),
      pendingDeletions: new PendingDeletions(),
      serviceRecords: new ServiceRecords(),
      resolvers: new SandboxResolvers(options.resolverFactory, onResolverError),
    };
    for (const init of options.drivers) await init(ctx.drivers, undefined);
    for (const { name, ipam, capability } of options.ipams) ctx.ipams.registerIpamDriver(name, ipam, capability);
    const controller = new Controller(ctx, options.resources ?? [], options.teardown);
    if (ctx.globalStore) controller.globalFeed = await followGlobalStore(ctx);
    return controller;
  }

  /** Keeps ctx.networks in step with the cluster's global networks (absent outside a cluster). */
  private globalFeed: GlobalFeed | undefined;

  /**
   * A node of the cluster arrived (new) or left (delete): every driver hears
   * of it, as libnetwork's discoverapi tells them. `self` marks this host's
   * own address, which drivers such as overlay use as their tunnel endpoint.
   */
  async discoverNode(change: "new" | "delete", data: NodeDiscoveryData): Promise<void> {
    const event = { type: DiscoveryType.NodeDiscovery, data } as const;
    for (const { driver } of this.ctx.drivers.all()) {
      if (change === "new") await driver.discoverNew(event);
      else await driver.discoverDelete(event);
    }
  }

  /** This host's name in the cluster. */
  get nodeName(): string {
    return this.ctx.nodeName;
  }

  /**
   * Rebuilds networks, endpoints and sandboxes from the store and reconciles
   * the kernel with them (see restore.ts). Call once, right after create().
   */
  async restore(): Promise<RestoreReport> {
    return restore(this.ctx);
  }

  get prefix(): string {
    return this.ctx.prefix;
  }

  driverNames(): string[] {
    return this.ctx.drivers.names();
  }

  // Networks

  async createNetwork(req: NetworkCreateRequest): Promise<Readonly<NetworkRecord>> {
    return snapshot(await createNetwork(this.ctx, req));
  }

  async deleteNetwork(ref: string): Promise<void> {
    await deleteNetwork(this.ctx, this.networkRecord(ref));
  }

  networks(): Readonly<NetworkRecord>[] {
    return [...this.ctx.networks.values()].map(snapshot);
  }

  network(ref: string): Readonly<NetworkRecord> {
    return snapshot(this.networkRecord(ref));
  }

  /** The network with exactly this id, or undefined: a lookup for callers on a hot path (one copy, not all networks'). */
  findNetwork(id: string): Readonly<NetworkRecord> | undefined {
    const net = this.ctx.networks.get(id);
    return net && snapshot(net);
  }

  /** The endpoints on a network, with the sandbox each is joined to. */
  networkEndpoints(ref: string): { endpoint: Readonly<EndpointRecord>; sandbox?: Readonly<SandboxRecord> }[] {
    const net = this.networkRecord(ref);
    return this.ctx.endpoints
      .onNetwork(net.id)
      .map((e) => {
        const sb = e.sandboxId ? this.ctx.sandboxes.get(e.sandboxId) : undefined;
        return sb ? { endpoint: snapshot(e), sandbox: snapshot(sb) } : { endpoint: snapshot(e) };
      });
  }

  /** The driver's operational data of an endpoint (published ports with their host ports, MAC). */
  async endpointOperInfo(networkRef: string, endpointId: string): Promise<Record<string, unknown>> {
    const net = this.networkRecord(networkRef);
    const ep = this.ctx.endpoints.get(endpointId);
    if (!ep || ep.networkId !== net.id) throw new NotFoundError(`endpoint ${endpointId} not found in network ${net.name}`);
    return this.ctx.drivers.get(net.driver).driver.endpointOperInfo(net.id, ep.id);
  }

  // Sandboxes

  async createSandbox(req: SandboxCreateRequest): Promise<SandboxView> {
    return this.view(await createSandbox(this.ctx, req));
  }

  /** Disconnects the sandbox from every network and removes its namespace. */
  async deleteSandbox(ref: string): Promise<void> {
    await deleteSandbox(this.ctx, this.sandboxRecord(ref));
  }

  sandboxes(): SandboxView[] {
    return [...this.ctx.sandboxes.values()].map((s) => this.view(s));
  }

  sandbox(ref: string): SandboxView {
    return this.view(this.sandboxRecord(ref));
  }

  // Attach

  /** docker network connect: an endpoint on the network, joined to the sandbox. */
  async connect(networkRef: string, sandboxRef: string, req: ConnectRequest = {}): Promise<EndpointView> {
    const net = this.networkRecord(networkRef);
    const sb = this.sandboxRecord(sandboxRef);
    const ep = await createEndpoint(this.ctx, net, {
      ...req,
      name: req.endpointName ?? sb.name,
      portBindings: sb.portBindings,
    });
    const undoing = `undoing the connect of sandbox ${sb.name} to network ${net.name}`;
    const log = this.ctx.log;
    try {
      await join(this.ctx, sb, ep, req.gatewayPriority ?? 0);
    } catch (err) {
      await bestEffort(log, `${undoing}: deleting endpoint ${ep.name}`, () => deleteLeftEndpoint(this.ctx, ep));
      throw err;
    }
    try {
      await reconcileDefaultGateway(this.ctx, sb);
    } catch (err) {
      // Without its way out the connect is not done: undone whole, as Docker undoes a join.
      await bestEffort(log, `${undoing}: leaving endpoint ${ep.name}`, () => leave(this.ctx, sb, ep));
      await bestEffort(log, `${undoing}: deleting endpoint ${ep.name}`, () => deleteLeftEndpoint(this.ctx, ep));
      throw err;
    }
    return { endpoint: snapshot(ep), network: snapshot(net) };
  }

  /** docker network disconnect: leave, then delete the endpoint. */
  async disconnect(networkRef: string, sandboxRef: string): Promise<void> {
    const net = this.networkRecord(networkRef);
    const sb = this.sandboxRecord(sandboxRef);
    const ep = sb.endpoints.map((id) => this.ctx.endpoints.get(id)).find((e) => e?.networkId === net.id);
    if (!ep) throw new NotFoundError(`sandbox ${sb.name} is not connected to network ${net.name}`);
    await leave(this.ctx, sb, ep);
    await deleteLeftEndpoint(this.ctx, ep);
    await reconcileDefaultGateway(this.ctx, sb);
  }

  // Engines: a container engine that owns its sandboxes (dockerd through Docker's plugin protocol), see engine-ops.ts

  /** A free subnet for a new local network, not held (an engine names the pool before the network). */
  async suggestSubnet(v6: boolean): Promise<string> {
    return suggestSubnet(this.ctx, v6);
  }

  /** Reserves an address of the network for an engine (Docker's RequestAddress); returned with the pool's prefix. */
  async reserveAddress(networkRef: string, req: { v6: boolean; preferred?: string }): Promise<string> {
    return reserveAddress(this.ctx, this.networkRecord(networkRef), req);
  }

  /** Releases an engine's reservation; false (and nothing done) when an endpoint or the network holds the address. */
  async releaseAddress(networkRef: string, address: string): Promise<boolean> {
    return releaseAddress(this.ctx, this.networkRecord(networkRef), address);
  }

  /** An endpoint for an engine's container, on addresses the engine reserved (Docker's CreateEndpoint). */
  async createEngineEndpoint(networkRef: string, req: EngineEndpointRequest): Promise<EndpointView> {
    const net = this.networkRecord(networkRef);
    const ep = await createEndpoint(this.ctx, net, {
      id: req.id,
      name: req.name,
      ...(req.ipv4Address ? { ipv4Address: req.ipv4Address } : {}),
      ...(req.ipv6Address ? { ipv6Address: req.ipv6Address } : {}),
      ...(req.macAddress ? { macAddress: req.macAddress } : {}),
      portBindings: req.portBindings ?? [],
      driverOpts: req.driverOpts ?? {},
      addressesHeldByEngine: true,
    });
    return { endpoint: snapshot(ep), network: snapshot(net) };
  }

  /** Joins an endpoint to an engine's sandbox; the interface waits in the host's namespace for the engine to move. */
  async engineJoin(endpointId: string, req: EngineJoinRequest): Promise<EngineJoinAnswer> {
    return engineJoin(this.ctx, this.endpointRecord(endpointId), req);
  }

  async engineLeave(endpointId: string): Promise<void> {
    await engineLeave(this.ctx, this.endpointRecord(endpointId));
  }

  async programEngineConnectivity(endpointId: string): Promise<void> {
    await programEngineConnectivity(this.ctx, this.endpointRecord(endpointId));
  }

  async revokeEngineConnectivity(endpointId: string): Promise<void> {
    await revokeEngineConnectivity(this.ctx, this.endpointRecord(endpointId));
  }

  /** Deletes an engine's endpoint, leaving its sandbox first if the engine did not. */
  async deleteEngineEndpoint(endpointId: string): Promise<void> {
    const ep = this.endpointRecord(endpointId);
    if (ep.sandboxId) await engineLeave(this.ctx, ep);
    await deleteLeftEndpoint(this.ctx, ep);
  }

  /** The names an engine's container answers to on the endpoint's network, learnt from the engine. */
  async setEngineNames(endpointId: string, names: readonly string[]): Promise<void> {
    await setEngineNames(this.ctx, this.endpointRecord(endpointId), names);
  }

  /**
   * The names of every network here that serves names, for a resolver that
   * answers a container engine's daemon (dockerd --dns): lookups are cheap
   * and always current.
   */
  hostNameService(): { records: ResolverRecords; upstreams: Upstream[] } {
    const host = hostResolvConf(this.ctx.log);
    // The resolver runs in the host's namespace: every nameserver of the host's file is reachable from it.
    return { records: hostRecords(this.ctx), upstreams: host.nameservers.map((address) => ({ address })) };
  }

  /** An endpoint by id, with its network; undefined when there is none. */
  endpoint(endpointId: string): EndpointView | undefined {
    const ep = this.ctx.endpoints.get(endpointId);
    const net = ep && this.ctx.networks.get(ep.networkId);
    return ep && net ? { endpoint: snapshot(ep), network: snapshot(net) } : undefined;
  }

  /** Removes every sandbox and network this controller made (a full teardown, not a restart). */
  async destroyAll(): Promise<void> {
    for (const sb of [...this.ctx.sandboxes.values()]) await deleteSandbox(this.ctx, sb);
    for (const ep of [...this.ctx.endpoints.values()]) await deleteEndpoint(this.ctx, ep);
    for (const net of [...this.ctx.networks.values()]) await deleteNetwork(this.ctx, net);
    await this.teardown?.();
  }

  /**
   * Releases sockets and watchers. Networks, sandboxes and their kernel
   * objects stay as they are (a daemon restart finds them again); use
   * destroyAll() first for a full teardown.
   */
  async close(): Promise<void> {
    this.ctx.pendingDeletions.close();
    this.globalFeed?.close();
    await this.ctx.resolvers.closeAll();
    for (const r of [...this.resources].reverse()) await r.close();
  }

  private networkRecord(ref: string): NetworkRecord {
    return resolveRef("network", ref, this.ctx.networks.values());
  }

  private endpointRecord(id: string): EndpointRecord {
    const ep = this.ctx.endpoints.get(id);
    if (!ep) throw new NotFoundError(`endpoint ${id} not found`);
    return ep;
  }

  private sandboxRecord(ref: string): SandboxRecord {
    return resolveRef("sandbox", ref, this.ctx.sandboxes.values());
  }

  private view(sb: SandboxRecord): SandboxView {
    const endpoints: EndpointView[] = [];
    for (const id of sb.endpoints) {
      const ep = this.ctx.endpoints.get(id);
      const net = ep && this.ctx.networks.get(ep.networkId);
      if (ep && net) endpoints.push({ endpoint: snapshot(ep), network: snapshot(net) });
    }
    return {
      sandbox: snapshot(sb),
      hostsPath: hostsPath(this.ctx.runDir, sb.id),
      resolvConfPath: resolvConfPath(this.ctx.runDir, sb.id),
      endpoints,
    };
  }
}

/** A deep copy, so callers can neither see later changes half-made nor change the controller's state. */
function snapshot<T>(value: T): Readonly<T> {
  return structuredClone(value);
}
