/**
 * Where a driver's state lives and how far its connectivity reaches.
 * "local": one host; "global": the whole cluster (the controller then gossips
 * the driver's registered tables and endpoint-owned entries through NetworkDB).
 */
export type DataScope = "local" | "global" | "swarm";

export interface Capability {
  /** Scope of the driver's data (store and gossip). */
  readonly dataScope: DataScope;
  /** Scope of connectivity; defaults to dataScope when absent. */
  readonly connectivityScope?: DataScope;
}
