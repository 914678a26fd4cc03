/**
 * Public API of cnm's NetworkDB: Docker's cluster-wide database of
 * per-network tables, wire-compatible with Go peers, on cnm's memberlist.
 */
export { NetworkDB, type PeerInfo, type TableElem } from "./networkdb.js";
export { type NetworkDBConfig, defaultConfig, validateConfig, reapNetworkInterval, FAST_FAILURE_DETECTION } from "./config.js";
export { NetworkDBError, type NetworkDBErrorCode } from "./errors.js";
export { Watch, NODE_TABLE, type WatchEvent, type WatchEventType, type WatchFilter } from "./watch.js";
export { LamportClock, type LamportClocks } from "./lamport.js";
export type {
  NetworkDBDiagnostics,
  MemberDiagnostics,
  NetworkDiagnostics,
  EntryDiagnostics,
  DiagnosticsOptions,
} from "./diagnostics.js";
export type { NetworkDBCounters } from "./counters.js";
export type { ClusterNodeState } from "./nodes.js";
export {
  Simulator,
  simAddress,
  lightMemberlist,
  type SimulatorOptions,
  type SimNode,
  type FormationOptions,
} from "./simulator.js";
