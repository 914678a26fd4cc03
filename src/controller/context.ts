import type { ClusterAgent, GlobalStore, NetworkRecord, SandboxRecord, StateStore } from "../controllerapi/index.js";
import type { Logger } from "../log/index.js";
import type { Osl } from "../osl/types.js";
import type { SandboxResolvers } from "./dns/sandbox-resolvers.js";
import type { ServiceRecords } from "./dns/service-records.js";
import type { DriverRegistry } from "./driver-registry.js";
import type { EndpointTable } from "./endpoint-table.js";
import type { IpamRegistry } from "./ipam-registry.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { NameClaims } from "./name-claims.js";
import type { PendingDeletions } from "./pending-deletions.js";

/**
 * Everything the controller's operations share; one per controller. The
 * bottom of the room: it imports only types, and every operation takes it.
 */
export interface ControllerContext {
  readonly prefix: string;
  /** Directory for per-sandbox files (hosts, resolv.conf). */
  readonly runDir: string;
  /** Where best-effort steps say what they could not do. */
  readonly log: Logger;
  readonly drivers: DriverRegistry;
  readonly ipams: IpamRegistry;
  readonly agent: ClusterAgent;
  readonly osl: Osl;
  readonly store: StateStore;
  /**
   * Where global-scope networks live when this host is in a cluster (etcd).
   * Absent: global-scope networks are this controller's own, made eagerly on
   * each controller that creates them (labs and tests in one process).
   */
  readonly globalStore: GlobalStore | undefined;
  /** This host's name in the cluster, recorded with its endpoints on global networks. */
  readonly nodeName: string;
  /**
   * Global networks (with a global store) that exist on this host: the driver
   * has created them and the cluster agent has joined them. They are made at
   * their first endpoint here and removed after their last, as Docker does.
   */
  readonly liveNetworks: Set<string>;
  /**
   * Global networks the store deleted while they were still live here (their
   * last endpoint here was on its way out): dropped from `networks` when their
   * release here is done, instead of staying listed for ever.
   */
  readonly deletedElsewhere: Set<string>;
  readonly locks: KeyedMutex;
  readonly networks: Map<string, NetworkRecord>;
  readonly endpoints: EndpointTable;
  readonly sandboxes: Map<string, SandboxRecord>;
  /** Names of networks, endpoints and sandboxes whose creation is under way. */
  readonly claims: NameClaims;
  /** Networks being deleted: no new endpoint may start on them. */
  readonly deletingNetworks: Set<string>;
  /** Deletions of left endpoints waiting for the cluster store (endpoint-ops.ts). */
  readonly pendingDeletions: PendingDeletions;
  /** Names and addresses per network (this host's joins and the cluster's), for the embedded DNS. */
  readonly serviceRecords: ServiceRecords;
  /** The embedded DNS resolver of each sandbox that has one. */
  readonly resolvers: SandboxResolvers;
}
