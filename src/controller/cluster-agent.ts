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

/**
 * The agent of a host outside any cluster: entries live in memory (so
 * inspect and tests can see them) and no remote event ever arrives.
 */
export class LocalAgent implements ClusterAgent {
  private readonly entries = new Map<string, Uint8Array>();

  async joinNetwork(): Promise<void> {}
  async leaveNetwork(nid: string): Promise<void> {
    for (const k of this.entries.keys()) if (k.startsWith(nid + "\0")) this.entries.delete(k);
  }
  watchTable(): void {}
  async createEntry(nid: string, table: string, key: string, value: Uint8Array): Promise<void> {
    this.entries.set(`${nid}\0${table}\0${key}`, value);
  }
  async deleteEntry(nid: string, table: string, key: string): Promise<void> {
    this.entries.delete(`${nid}\0${table}\0${key}`);
  }
  /** Entries of one network's table, for diagnostics. */
  tableEntries(nid: string, table: string): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    const prefix = `${nid}\0${table}\0`;
    for (const [k, v] of this.entries) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
    return out;
  }
}
