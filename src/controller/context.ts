import type { ClusterAgent } from "./cluster-agent.js";
import type { DriverRegistry } from "./driver-registry.js";
import type { IpamRegistry } from "./ipam-registry.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { EndpointRecord, NetworkRecord, SandboxRecord } from "./records.js";
import type { Osl } from "../osl/types.js";
import type { StateStore } from "./state-store.js";
import type { GlobalStore } from "./global-store.js";
import type { PendingDeletions } from "./left-endpoints.js";
import type { ServiceRecords } from "./service-records.js";
import type { SandboxResolvers } from "./sandbox-resolvers.js";

/** Everything the controller's operations share; one per controller. */
export interface ControllerContext {
  readonly prefix: string;
  /** Directory for per-sandbox files (hosts, resolv.conf). */
  readonly runDir: string;
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
  readonly locks: KeyedMutex;
  readonly networks: Map<string, NetworkRecord>;
  readonly endpoints: Map<string, EndpointRecord>;
  readonly sandboxes: Map<string, SandboxRecord>;
  /**
   * Names claimed by operations still under way ("net:NAME", "ep:NID:NAME",
   * "sb:NAME"). JavaScript runs the check-and-claim without interruption, so
   * uniqueness needs no lock and creations of different objects never queue.
   */
  readonly claimedNames: Set<string>;
  /** Networks being deleted: no new endpoint may start on them. */
  readonly deletingNetworks: Set<string>;
  /** Deletions of left endpoints waiting for the cluster store (left-endpoints.ts). */
  readonly pendingDeletions: PendingDeletions;
  /** Names and addresses per network (this host's joins and the cluster's), for the embedded DNS. */
  readonly serviceRecords: ServiceRecords;
  /** The embedded DNS resolver of each sandbox that has one. */
  readonly resolvers: SandboxResolvers;
}
