import { EventType } from "../driverapi/index.js";
import type { ClusterAgent, TableListener } from "../controllerapi/index.js";

interface Entry {
  readonly owner: string;
  value: Uint8Array;
}

/**
 * A cluster whose nodes are controllers in one process: the semantics of
 * NetworkDB (per-network tables, events only to other nodes of the network,
 * entries owned by their node and deleted when it leaves, existing entries
 * handed to a node that starts watching), without a network in between.
 * For labs and tests that run several "hosts" in one process; a real cluster
 * uses the NetworkDB agent.
 */
export class InProcessCluster {
  /** nid -> nodes joined. */
  private readonly members = new Map<string, Set<string>>();
  /** `${nid}\0${table}\0${key}` -> entry. */
  private readonly entries = new Map<string, Entry>();
  /** `${nid}\0${table}` -> node -> listener. */
  private readonly watchers = new Map<string, Map<string, TableListener>>();

  /** The agent a node's controller uses. */
  agent(node: string): ClusterAgent {
    return {
      joinNetwork: async (nid) => {
        let m = this.members.get(nid);
        if (!m) this.members.set(nid, (m = new Set()));
        m.add(node);
      },
      leaveNetwork: async (nid) => this.leave(node, nid),
      watchTable: (nid, table, listener) => this.watch(node, nid, table, listener),
      createEntry: async (nid, table, key, value) => this.write(node, nid, table, key, value),
      deleteEntry: async (nid, table, key) => this.remove(node, nid, table, key),
    };
  }

  /** Entries of one table, for inspection. */
  table(nid: string, table: string): Map<string, { owner: string; value: Uint8Array }> {
    const prefix = `${nid}\0${table}\0`;
    const out = new Map<string, { owner: string; value: Uint8Array }>();
    for (const [k, e] of this.entries) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), { owner: e.owner, value: e.value });
    return out;
  }

  private watch(node: string, nid: string, table: string, listener: TableListener): void {
    const key = `${nid}\0${table}`;
    let w = this.watchers.get(key);
    if (!w) this.watchers.set(key, (w = new Map()));
    w.set(node, listener);
    // What a joining NetworkDB node gets by bulk sync: every live entry of the others.
    for (const [k, e] of this.table(nid, table)) {
      if (e.owner !== node) this.deliver(listener, EventType.Create, nid, table, k, e.value);
    }
  }

  private write(node: string, nid: string, table: string, key: string, value: Uint8Array): void {
    if (!this.members.get(nid)?.has(node)) throw new Error(`node ${node} has not joined network ${nid}`);
    const id = `${nid}\0${table}\0${key}`;
    const existing = this.entries.get(id);
    this.entries.set(id, { owner: node, value });
    this.broadcast(node, existing ? EventType.Update : EventType.Create, nid, table, key, value);
  }

  private remove(node: string, nid: string, table: string, key: string): void {
    const id = `${nid}\0${table}\0${key}`;
    const existing = this.entries.get(id);
    if (!existing || existing.owner !== node) return;
    this.entries.delete(id);
    // A delete carries the last value, as NetworkDB's does.
    this.broadcast(node, EventType.Delete, nid, table, key, existing.value);
  }

  private leave(node: string, nid: string): void {
    for (const [id, e] of [...this.entries]) {
      const [enid, table, key] = id.split("\0") as [string, string, string];
      if (enid === nid && e.owner === node) this.remove(node, nid, table, key);
    }
    this.members.get(nid)?.delete(node);
    for (const [k, w] of this.watchers) if (k.startsWith(`${nid}\0`)) w.delete(node);
  }

  private broadcast(from: string, type: EventType, nid: string, table: string, key: string, value: Uint8Array): void {
    const members = this.members.get(nid);
    for (const [node, listener] of this.watchers.get(`${nid}\0${table}`) ?? []) {
      if (node !== from && members?.has(node)) this.deliver(listener, type, nid, table, key, value);
    }
  }

  /** Delivered later, as a network would: never inside the writer's call. */
  private deliver(listener: TableListener, type: EventType, nid: string, table: string, key: string, value: Uint8Array): void {
    setImmediate(() => listener(type, nid, table, key, value));
  }
}
