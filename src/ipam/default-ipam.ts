/**
 * The default IPAM driver: address spaces "LocalDefault" and "GlobalDefault",
 * predefined pools for requests without --subnet, user pools of any size and
 * family, and serial address allocation on sparse bitmaps.
 *
 * Synchronous on purpose: it is on the attach hot path, holds everything in
 * memory, and callers of the Ipam contract await its results anyway.
 */
import type { AddressSpaceNames, AllocatedAddress, AllocatedPool, Capability, Ipam, IpamRegistry, PoolRequest } from "../ipamapi/contract.js";
import { InvalidAddressSpaceError, InvalidRequestError, UnknownPoolError } from "../ipamapi/errors.js";
import {
  AllocSerialOption,
  DefaultIpamName,
  GatewayAddressType,
  GlobalDefaultAddressSpace,
  LocalDefaultAddressSpace,
  RequestAddressType,
} from "../ipamapi/labels.js";
import { AddressPool } from "./address-pool.js";
import { AddressSpace } from "./address-space.js";
import { type HostRoutesProvider, noHostRoutes } from "./host-routes.js";
import { DEFAULT_GLOBAL_POOLS, DEFAULT_LOCAL_POOLS, type NetworkToSplit, planSplits } from "./predefined-pools.js";
import { type Prefix, tryParsePrefix } from "../inet/index.js";
import { parseIpamCidr } from "./cidr.js";
import { type IpamState, STATE_VERSION } from "./state.js";

export interface DefaultIpamConfig {
  /** Predefined pools of "LocalDefault", both families. Default: DEFAULT_LOCAL_POOLS (Docker's). */
  readonly localPools?: readonly NetworkToSplit[];
  /** Predefined pools of "GlobalDefault", both families. Default: DEFAULT_GLOBAL_POOLS (Docker's). */
  readonly globalPools?: readonly NetworkToSplit[];
  /**
   * The host's routes, which predefined pools must not overlap; called on each
   * request without a pool. Default: no routes. The daemon passes a netlink
   * reader; `ipCommandRoutesProvider()` reads them with `ip -j route`.
   * If the provider throws, the pool request fails with its error rather
   * than risk a pool that shadows a host network.
   */
  readonly hostRoutes?: HostRoutesProvider;
  /**
   * Whether the controller must replay pool and address requests on start
   * (libnetwork's default IPAM says yes). A daemon that restores this driver
   * with fromJSON() instead should set false and not replay.
   */
  readonly requiresRequestReplay?: boolean;
}

/** What is known about one allocated pool, for inspection and tests. */
export interface PoolInfo {
  readonly poolId: string;
  readonly addressSpace: string;
  readonly pool: string;
  readonly subPool?: string;
  /** Addresses handed out, reserved ones not counted. */
  readonly allocated: number;
  /** Addresses the dynamic range can hand out at most. */
  readonly rangeCapacity: number;
}

export class DefaultIpam implements Ipam {
  private readonly spaces: Map<string, AddressSpace>;
  private readonly pools = new Map<string, AddressPool>();
  private readonly hostRoutes: HostRoutesProvider;
  private readonly capability: Capability;

  constructor(config: DefaultIpamConfig = {}) {
    this.spaces = new Map([
      [LocalDefaultAddressSpace, new AddressSpace(LocalDefaultAddressSpace, planSplits(config.localPools ?? DEFAULT_LOCAL_POOLS))],
      [GlobalDefaultAddressSpace, new AddressSpace(GlobalDefaultAddressSpace, planSplits(config.globalPools ?? DEFAULT_GLOBAL_POOLS))],
    ]);
    this.hostRoutes = config.hostRoutes ?? noHostRoutes;
    this.capability = { requiresMACAddress: false, requiresRequestReplay: config.requiresRequestReplay ?? true };
  }

  getDefaultAddressSpaces(): AddressSpaceNames {
    return { local: LocalDefaultAddressSpace, global: GlobalDefaultAddressSpace };
  }

  isBuiltIn(): boolean {
    return true;
  }

  getCapabilities(): Capability {
    return this.capability;
  }

  private space(name: string): AddressSpace {
    const space = this.spaces.get(name);
    if (space === undefined) throw new InvalidAddressSpaceError(name);
    return space;
  }

  private pool(poolId: string): AddressPool {
    const pool = this.pools.get(poolId);
    if (pool === undefined) throw new UnknownPoolError(poolId);
    return pool;
  }

  requestPool(req: PoolRequest): AllocatedPool {
    const space = this.space(req.addressSpace);
    const family = req.v6 ? 6 : 4;
    let pool: AddressPool;
    if (req.pool === undefined || req.pool === "") {
      if (req.subPool !== undefined && req.subPool !== "") {
        throw new InvalidRequestError(`sub-pool ${req.subPool} given without a pool`);
      }
      const avoid: Prefix[] = [];
      for (const route of this.hostRoutes()) {
        // Routes come from the kernel: skip what does not parse, and default
        // routes, which overlap everything.
        const p = tryParsePrefix(route);
        if (p !== undefined && p.bits > 0) avoid.push(p);
      }
      for (const text of req.exclude ?? []) avoid.push(parseIpamCidr(text));
      pool = new AddressPool(space.name, space.pickPredefined(family, avoid), undefined);
    } else {
      const prefix = parseIpamCidr(req.pool);
      if (prefix.family !== family) {
        throw new InvalidRequestError(`pool ${req.pool} is IPv${prefix.family} but the request is for IPv${family}`);
      }
      const sub = req.subPool === undefined || req.subPool === "" ? undefined : parseIpamCidr(req.subPool);
      pool = new AddressPool(space.name, prefix, sub);
    }
    // Unlike libnetwork, one pool serves one request: a second request for
    // the same subnet, even with another sub-pool, is refused as an overlap.
    space.add(pool);
    this.pools.set(pool.id, pool);
    return { poolId: pool.id, pool: pool.cidr, meta: {} };
  }

  releasePool(poolId: string): void {
    const pool = this.pool(poolId);
    this.space(pool.addressSpace).remove(pool);
    this.pools.delete(poolId);
  }

  /**
   * With `preferred`: exactly that address, anywhere in the pool. Without:
   * serially from the range, unless the options ask for the gateway (the
   * lowest free address, without moving the cursor) or set
   * AllocSerialOption to "false" (the lowest free address).
   */
  requestAddress(poolId: string, preferred?: string, options?: Readonly<Record<string, string>>): AllocatedAddress {
    const pool = this.pool(poolId);
    let address: string;
    if (preferred !== undefined && preferred !== "") {
      address = pool.allocate(preferred);
    } else if (options === undefined) {
      address = pool.allocateAny(true);
    } else {
      const serial = options[RequestAddressType] !== GatewayAddressType && options[AllocSerialOption] !== "false";
      address = pool.allocateAny(serial);
    }
    return { address, meta: {} };
  }

  releaseAddress(poolId: string, address: string): void {
    this.pool(poolId).release(address);
  }

  /** Whether `address` is handed out from the pool (reserved addresses are not). */
  isAllocated(poolId: string, address: string): boolean {
    return this.pool(poolId).isAllocated(address);
  }

  getPoolInfo(poolId: string): PoolInfo {
    const p = this.pool(poolId);
    return {
      poolId: p.id,
      addressSpace: p.addressSpace,
      pool: p.cidr,
      ...(p.range === undefined ? {} : { subPool: p.range }),
      allocated: p.allocatedCount,
      rangeCapacity: p.rangeCapacity,
    };
  }

  listPools(): PoolInfo[] {
    return [...this.pools.keys()].map((id) => this.getPoolInfo(id));
  }

  /** The persistable state; see state.ts for the format. */
  toJSON(): IpamState {
    return { version: STATE_VERSION, pools: [...this.pools.values()].map((p) => p.toState()) };
  }

  /**
   * A driver holding the pools and allocations of `state` (e.g. parsed from
   * what toJSON() produced before a restart). Throws on inconsistent state:
   * unknown version or address space, overlapping pools, bad runs.
   */
  static fromJSON(state: IpamState, config: DefaultIpamConfig = {}): DefaultIpam {
    if (state === null || typeof state !== "object" || state.version !== STATE_VERSION || !Array.isArray(state.pools)) {
      throw new Error(`state: expected {version: ${STATE_VERSION}, pools: [...]}`);
    }
    const ipam = new DefaultIpam(config);
    for (const ps of state.pools) {
      const pool = AddressPool.fromState(ps);
      ipam.space(pool.addressSpace).add(pool);
      ipam.pools.set(pool.id, pool);
    }
    return ipam;
  }
}

/** Create the default IPAM and register it as "default" (libnetwork's defaultipam.Register). */
export function registerDefaultIpam(registry: IpamRegistry, config: DefaultIpamConfig = {}): DefaultIpam {
  const ipam = new DefaultIpam(config);
  registry.registerIpamDriver(DefaultIpamName, ipam, ipam.getCapabilities());
  return ipam;
}
