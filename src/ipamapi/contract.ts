/**
 * The contract between the controller and an IPAM driver (libnetwork's
 * ipamapi). Types only: the default implementation lives in src/ipam/.
 *
 * Addresses cross this boundary as strings: an IP is "172.18.0.2" or
 * "fd00::2", a CIDR is "172.18.0.0/16". Strings keep the contract identical
 * for built-in drivers and remote plugins (which speak JSON).
 */

/** An address with a prefix length, e.g. "172.18.0.0/16" or "fd00::/64". */
export type Cidr = string;
/** A bare IP address, e.g. "172.18.0.2" or "fd00::2". */
export type IpAddressString = string;

/**
 * Built-in drivers answer synchronously (the default IPAM is on the attach hot
 * path and a microtask per address would be waste); remote plugins answer over
 * HTTP and so return promises. Callers always `await` the result.
 */
export type MaybePromise<T> = T | Promise<T>;

/** The names of a driver's default address spaces. */
export interface AddressSpaceNames {
  /** For networks of local scope (e.g. bridge): "LocalDefault" for the default IPAM. */
  readonly local: string;
  /** For networks of global (swarm/cluster) scope: "GlobalDefault" for the default IPAM. */
  readonly global: string;
}

/** A request for an address pool (libnetwork's PoolRequest). */
export interface PoolRequest {
  /** Mandatory; opaque to everyone but the driver that named it. */
  readonly addressSpace: string;
  /**
   * The pool (--subnet). When absent the driver picks one of its predefined
   * pools that overlaps nothing already allocated, nothing in `exclude` and
   * none of the host's routes.
   */
  readonly pool?: Cidr;
  /**
   * The range dynamic addresses come from (--ip-range); must lie inside
   * `pool` and may only be given together with it. Preferred addresses may
   * still be anywhere in `pool` (the gateway usually is outside the range).
   */
  readonly subPool?: Cidr;
  /** Opaque driver options (--ipam-opt). */
  readonly options?: Readonly<Record<string, string>>;
  /** Prefixes a dynamically chosen pool must not overlap (e.g. the host's routes, nameservers). */
  readonly exclude?: readonly Cidr[];
  /** The address family of a dynamically chosen pool; must match `pool` when that is given. */
  readonly v6: boolean;
}

/** A pool granted by requestPool. */
export interface AllocatedPool {
  /** Opaque identifier to pass to every later call about this pool. */
  readonly poolId: string;
  /** The pool actually granted, in canonical form (host bits cleared). */
  readonly pool: Cidr;
  /** Extra data keyed by well-known labels (e.g. a gateway a remote plugin chose). */
  readonly meta: Record<string, string>;
}

/** An address granted by requestAddress. */
export interface AllocatedAddress {
  /** The address with the pool's prefix length, e.g. "172.18.0.2/16". */
  readonly address: Cidr;
  readonly meta: Record<string, string>;
}

/** What a driver needs from the controller (libnetwork's ipamapi.Capability). */
export interface Capability {
  /** The controller must pass the endpoint's MAC address (option `MacAddressOption`) on address requests. */
  readonly requiresMACAddress: boolean;
  /**
   * On daemon start the controller must replay the pool and address requests
   * of existing local networks, because the driver does not remember them.
   */
  readonly requiresRequestReplay: boolean;
}

/** The interface every IPAM driver, built-in or remote, implements. */
export interface Ipam {
  getDefaultAddressSpaces(): MaybePromise<AddressSpaceNames>;
  /** Reserve a pool, statically (`pool` given) or dynamically from the predefined pools. */
  requestPool(req: PoolRequest): MaybePromise<AllocatedPool>;
  /** Give a pool back; its addresses are forgotten with it. */
  releasePool(poolId: string): MaybePromise<void>;
  /**
   * Reserve an address of the pool: `preferred` exactly when given (gateway,
   * --ip, auxiliary addresses), else any free one of the pool's range.
   * Options carry e.g. `RequestAddressType` = `GatewayAddressType`.
   */
  requestAddress(
    poolId: string,
    preferred?: IpAddressString,
    options?: Readonly<Record<string, string>>,
  ): MaybePromise<AllocatedAddress>;
  /** Give an address back (a bare IP; a CIDR with the pool's prefix length is accepted too). */
  releaseAddress(poolId: string, address: IpAddressString): MaybePromise<void>;
  /** True for drivers compiled into cnm, false for remote plugins. */
  isBuiltIn(): boolean;
  getCapabilities(): MaybePromise<Capability>;
}

/** The callback through which IPAM drivers register with the controller. */
export type RegisterIpamDriver = (name: string, driver: Ipam, capability: Capability) => void;

/** What an IPAM driver's init function is handed (libnetwork's ipamapi.Registerer). */
export interface IpamRegistry {
  registerIpamDriver: RegisterIpamDriver;
}
