import type { ClusterAgent } from "../controllerapi/index.js";

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
