import type { EventType } from "../driverapi/index.js";

/**
 * What the controller needs from the cluster layer: gossip tables per
 * network. The real agent sits on NetworkDB; LocalAgent is what a single host
 * without a cluster has, where global-scope events cannot happen.
 */
export interface ClusterAgent {
  /** A network of this scope exists here; start hearing its tables. */
  joinNetwork(nid: string): Promise<void>;
  leaveNetwork(nid: string): Promise<void>;
  /** Route events on (nid, table) from other nodes to the listener. */
  watchTable(nid: string, table: string, listener: TableListener): void;
  createEntry(nid: string, table: string, key: string, value: Uint8Array): Promise<void>;
  deleteEntry(nid: string, table: string, key: string): Promise<void>;
}

export type TableListener = (type: EventType, nid: string, table: string, key: string, value: Uint8Array) => void;
