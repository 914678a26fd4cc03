import type { Capability } from "./capability.js";
import type { DiscoveryEvent } from "./discovery.js";
import type { EventType } from "./events.js";
import type { InterfaceInfo, JoinInfo, NetworkInfo } from "./info.js";
import type { IpamData } from "./ipam-data.js";
import type { EndpointOptions, JoinOptions, NetworkOptions } from "./options.js";

/**
 * The contract between the controller and a network driver: libnetwork's
 * driver API in its gossip revision. The controller is the only caller, and
 * it calls a driver for one network/endpoint at a time, so drivers need no
 * locks of their own for per-object state.
 */
export interface Driver {
  /** The driver's name as users type it ("bridge", "overlay", ...). */
  type(): string;
  /** True for drivers compiled into cnm, false for remote plugins. */
  isBuiltIn(): boolean;

  /** A discovery event: node joined/left, datastore configured, encryption keys. */
  discoverNew(event: DiscoveryEvent): Promise<void>;
  discoverDelete(event: DiscoveryEvent): Promise<void>;

  /**
   * Global-scope drivers reserve cluster-wide resources (e.g. VXLAN ids) for a
   * network before it is created on any node; the returned options are
   * stored with the network and handed back to createNetwork on every node.
   */
  networkAllocate(
    nid: string,
    options: Readonly<Record<string, string>>,
    ipV4Data: readonly IpamData[],
    ipV6Data: readonly IpamData[],
  ): Promise<Record<string, string>>;
  networkFree(nid: string): Promise<void>;

  /** Create the network on this host. Register the gossip tables to hear here. */
  createNetwork(
    nid: string,
    options: NetworkOptions,
    nInfo: NetworkInfo,
    ipV4Data: readonly IpamData[],
    ipV6Data: readonly IpamData[],
  ): Promise<void>;
  deleteNetwork(nid: string): Promise<void>;

  /** Prepare the endpoint; set the MAC or addresses through ifInfo if the driver chooses them. */
  createEndpoint(nid: string, eid: string, ifInfo: InterfaceInfo, options: EndpointOptions): Promise<void>;
  deleteEndpoint(nid: string, eid: string): Promise<void>;
  /** Operational data of an endpoint for inspect (e.g. published ports, MAC). */
  endpointOperInfo(nid: string, eid: string): Promise<Record<string, unknown>>;

  /**
   * Attach the endpoint to the sandbox whose namespace is at sboxKey: name the
   * interface, set gateways and routes, add endpoint-owned table entries.
   */
  join(nid: string, eid: string, sboxKey: string, jinfo: JoinInfo, options: JoinOptions): Promise<void>;
  leave(nid: string, eid: string): Promise<void>;

  /** Make the endpoint reachable from outside (published ports), once it provides the gateway. */
  programExternalConnectivity(nid: string, eid: string, options: EndpointOptions): Promise<void>;
  revokeExternalConnectivity(nid: string, eid: string): Promise<void>;

  /**
   * A create, update or delete of an entry in a table this driver registered,
   * made by another node of the cluster. Never called for this node's own changes.
   */
  eventNotify(type: EventType, nid: string, tableName: string, key: string, value: Uint8Array): void;
}

/** What a driver hands the controller when it registers. */
export interface DriverCallback {
  registerDriver(name: string, driver: Driver, capability: Capability): void;
}

/** Drivers are created by an init function given the callback and their config, as in libnetwork. */
export type DriverInit<Config = unknown> = (callback: DriverCallback, config: Config) => Promise<void> | void;
