import type { DataScope, PortBinding, StaticRoute } from "../driverapi/index.js";

/**
 * The persistent state of controller objects: plain, JSON-serialisable
 * records, so a store can save them as they are and a restart can rebuild the
 * objects from them.
 */

/** One subnet of a network as the user asked for it (docker network create --subnet ...). */
export interface IpamConfig {
  readonly subnet?: string;
  readonly ipRange?: string;
  readonly gateway?: string;
  readonly auxAddresses?: Readonly<Record<string, string>>;
}

/** One pool as IPAM granted it. */
export interface IpamGrant {
  readonly poolId: string;
  readonly pool: string;
  /** Gateway with the pool's prefix length, e.g. "172.18.0.1/16". */
  readonly gateway?: string;
  /**
   * The IPAM driver named the gateway with the pool (a plugin's RequestPool
   * Data) rather than handing it out as an address: never requested, so never
   * released or replayed.
   */
  readonly gatewayFromPool?: boolean;
  readonly auxAddresses: Readonly<Record<string, string>>;
}

export interface NetworkRecord {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
  readonly scope: DataScope;
  readonly created: string;
  readonly ipamDriver: string;
  readonly ipamOptions: Readonly<Record<string, string>>;
  readonly ipv4Config: readonly IpamConfig[];
  readonly ipv6Config: readonly IpamConfig[];
  ipv4: IpamGrant[];
  ipv6: IpamGrant[];
  readonly enableIPv6: boolean;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** What the driver returned from networkAllocate, handed back at create. */
  allocation: Record<string, string>;
}

export interface EndpointRecord {
  readonly id: string;
  readonly name: string;
  readonly networkId: string;
  mac?: string;
  /** CIDR with the pool's prefix. */
  address?: string;
  addressIPv6?: string;
  /** The IPAM pools the addresses came from, for release. */
  poolIdV4?: string;
  poolIdV6?: string;
  readonly portBindings: readonly PortBinding[];
  /** The host port each of portBindings got (0 where none), kept so a restart publishes the same ones. */
  hostPorts?: number[];
  readonly aliases: readonly string[];
  readonly driverOpts: Readonly<Record<string, string>>;
  /** Set while joined to a sandbox. */
  sandboxId?: string;
  join?: JoinRecord;
  /**
   * The addresses were reserved by a container engine before it asked for the
   * endpoint (Docker's IPAM calls come first): the engine releases them, not
   * the endpoint's deletion.
   */
  addressesHeldByEngine?: boolean;
  /**
   * For an engine's container, the names it answers to on the network (the
   * container's name, its aliases), once the engine told them: the protocol
   * that made the endpoint carries none.
   */
  engineNames?: string[];
}

export interface JoinRecord {
  /** Interface name inside the sandbox, e.g. "eth0"; absent when the driver adds none (null, host). */
  ifName?: string;
  gateway?: string;
  gatewayIPv6?: string;
  staticRoutes: StaticRoute[];
  disableGatewayService: boolean;
  /** Endpoint-owned table entries, deleted from the cluster on leave. */
  tableEntries: { table: string; key: string }[];
  /** Higher priority wins the default gateway; ties go to the earlier join. */
  priority: number;
  /** Monotonic join sequence within the sandbox. */
  order: number;
  /** For an engine's sandbox: the interface the driver left in the host's namespace, and the prefix of its name inside. */
  engineInterface?: { srcName: string; dstPrefix: string };
}

export interface SandboxRecord {
  readonly id: string;
  readonly name: string;
  /** Namespace path; for the host sandbox, the host's namespace. */
  readonly key: string;
  readonly hostname: string;
  readonly domainname: string;
  readonly dns: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly extraHosts: readonly { name: string; ip: string }[];
  readonly portBindings: readonly PortBinding[];
  readonly created: string;
  /** Endpoint ids in join order. */
  endpoints: string[];
  /** The endpoint that provides the default gateway, if any. */
  gatewayEndpoint?: string;
  joinCounter: number;
  readonly useHostNetwork: boolean;
  /**
   * The container engine that owns this sandbox (e.g. "docker"): the engine
   * makes and removes its namespace, moves the interfaces in and configures
   * them, and chooses its gateway. cnm records the joins, makes the drivers'
   * interfaces in the host's namespace, and keeps the cluster's tables. Key is
   * the engine's name for the namespace (Docker's SandboxKey), which may not
   * exist yet and which cnm never enters. Absent: a sandbox cnm owns.
   */
  readonly engine?: string;
}
