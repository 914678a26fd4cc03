/**
 * The callbacks through which a driver tells the controller what it decided.
 * They mirror libnetwork's NetworkInfo, InterfaceInfo and JoinInfo, with the
 * gossip additions: tableEventRegister at network creation and addTableEntry
 * at join.
 */

/** Handed to createNetwork. */
export interface NetworkInfo {
  /**
   * Ask to hear (through eventNotify) every create, update and delete on this
   * table for this network, from any node of the cluster. Only global-scope
   * networks deliver events; local-scope ones accept the call and stay silent.
   */
  tableEventRegister(tableName: string): void;
}

/** Handed to createEndpoint: the endpoint's interface as IPAM and the driver decide it. */
export interface InterfaceInfo {
  /** Set the MAC address, when the driver chooses it. Throws if one is already set. */
  setMacAddress(mac: string): void;
  /** Set the IPv4 address (CIDR), when the driver chooses it. Throws if one is already set. */
  setIPAddress(cidr: string): void;
  /** Set the IPv6 address (CIDR), when the driver chooses it. Throws if one is already set. */
  setIPv6Address(cidr: string): void;
  macAddress(): string | undefined;
  /** IPv4 address in CIDR form, as allocated by IPAM (or set by the driver). */
  address(): string | undefined;
  addressIPv6(): string | undefined;
}

/** Names of the interface a join moves into the sandbox. */
export interface InterfaceNameInfo {
  /**
   * srcName: the name of the link in the host namespace that the sandbox
   * takes; dstPrefix: the prefix of its name inside the sandbox ("eth" gives
   * eth0, eth1, ... in join order).
   */
  setNames(srcName: string, dstPrefix: string): void;
}

/** Route kinds for addStaticRoute, as in libnetwork's types package. */
export enum RouteType {
  /** Through a next hop. */
  NextHop = 0,
  /** Directly connected (scope link, no next hop). */
  Connected = 1,
}

export interface StaticRoute {
  readonly destination: string;
  readonly routeType: RouteType;
  readonly nextHop?: string;
}

/** Handed to join. */
export interface JoinInfo {
  interfaceName(): InterfaceNameInfo;
  /** The IPv4 gateway (a plain address) the sandbox's default route uses. */
  setGateway(ip: string): void;
  setGatewayIPv6(ip: string): void;
  addStaticRoute(destination: string, routeType: RouteType, nextHop?: string): void;
  /** This network must not provide the sandbox's default gateway (e.g. internal networks). */
  disableGatewayService(): void;
  /**
   * Add an entry to a table of this network in the cluster-wide database. The
   * entry belongs to the endpoint: the controller deletes it when the endpoint
   * leaves; the driver never does.
   */
  addTableEntry(tableName: string, key: string, value: Uint8Array): void;
}
