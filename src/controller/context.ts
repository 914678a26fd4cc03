import type { ClusterAgent } from "./cluster-agent.js";
import type { DriverRegistry } from "./driver-registry.js";
import type { IpamRegistry } from "./ipam-registry.js";
import type { KeyedMutex } from "./keyed-mutex.js";
import type { EndpointRecord, NetworkRecord, SandboxRecord } from "./records.js";
import type { Osl } from "../osl/types.js";
import type { StateStore } from "./state-store.js";

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
}
