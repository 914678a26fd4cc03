/**
 * A snapshot of what one NetworkDB node knows, for an operator or a test:
 * cluster members with memberlist's state and NetworkDB's, networks with
 * their nodes, tables with every entry (owner, Lamport time, tombstones with
 * their remaining life), queue lengths, and traffic counters (NetworkDB's
 * own and memberlist's). Plain data, safe to JSON.stringify (values are
 * given as hex, cut to 64 bytes).
 */
import type { Context } from "./context.js";
import type { NetworkDBCounters } from "./counters.js";
import type { MemberlistStats, NodeStateKind } from "./memberlist/index.js";
import type { ClusterNodeState } from "./nodes.js";

export interface MemberDiagnostics {
  name: string;
  addr: string;
  port: number;
  /** memberlist's view (alive, suspect, dead, left), if it still lists the node. */
  memberlistState: NodeStateKind | null;
  incarnation: number | null;
  /** NetworkDB's view (active, left, failed), if it knows the node. */
  networkdbState: ClusterNodeState | null;
  /** Lamport time of the node's latest node event. */
  ltime: number | null;
}

export interface NetworkDiagnostics {
  id: string;
  /** Nodes taking part in the network. */
  nodes: string[];
  /** Every node's attachment (leaving ones too) with its Lamport time. */
  attachments: { node: string; ltime: number; leaving: boolean }[];
  /** Set when this node is in it: its own attachment state and gossip queue. */
  local: { ltime: number; leaving: boolean; inSync: boolean; queued: number } | null;
  /** Entries (tombstones included) held for the network. */
  entries: number;
}

export interface EntryDiagnostics {
  nid: string;
  table: string;
  key: string;
  owner: string;
  ltime: number;
  deleting: boolean;
  /** A hidden trace of a failed or departed owner's live entry, not a delete (see ownership.ts). */
  orphan: boolean;
  /** Tombstones: seconds until purge. */
  reapInSeconds: number | null;
  valueBytes: number;
  /** Hex of the first 64 bytes of the value. */
  valueHex: string;
}

export interface NetworkDBDiagnostics {
  nodeId: string;
  hostname: string;
  /** Clock time of the snapshot. */
  now: number;
  lamport: { network: number; table: number };
  members: MemberDiagnostics[];
  networks: NetworkDiagnostics[];
  /** Entries per table, in key order. */
  tables: Record<string, EntryDiagnostics[]>;
  entryCount: number;
  tombstoneCount: number;
  queues: {
    memberlist: number;
    networkEvents: number;
    nodeEvents: number;
    /** Per network this node is in. */
    tableEvents: Record<string, number>;
  };
  watchers: number;
  counters: NetworkDBCounters;
  memberlist: MemberlistStats | null;
  /** Lifeguard health score (0 = healthy). */
  healthScore: number;
}

export interface DiagnosticsOptions {
  /**
   * List every entry under `tables` (default true). A node holding 100,000
   * entries answers in milliseconds without them; counts stay.
   */
  entries?: boolean;
}

export function collectDiagnostics(ctx: Context, options: DiagnosticsOptions = {}): NetworkDBDiagnostics {
  const now = ctx.clock.now();
  const ml = ctx.ml;

  const members = new Map<string, MemberDiagnostics>();
  for (const m of ml?.memberStates() ?? []) {
    members.set(m.node.name, {
      name: m.node.name,
      addr: m.node.addr,
      port: m.node.port,
      memberlistState: m.state,
      incarnation: m.incarnation,
      networkdbState: null,
      ltime: null,
    });
  }
  for (const n of ctx.nodes.all()) {
    const d = members.get(n.node.name) ?? {
      name: n.node.name,
      addr: n.node.addr,
      port: n.node.port,
      memberlistState: null,
      incarnation: null,
      networkdbState: null,
      ltime: null,
    };
    d.networkdbState = n.state;
    d.ltime = n.ltime;
    members.set(n.node.name, d);
  }

  const attachments = new Map<string, { node: string; ltime: number; leaving: boolean }[]>();
  for (const [node, a] of ctx.networks.allAttachments()) {
    let list = attachments.get(a.id);
    if (list === undefined) attachments.set(a.id, (list = []));
    list.push({ node, ltime: a.ltime, leaving: a.leaving });
  }
  const nids = new Set([...attachments.keys(), ...ctx.networks.networkIds(), ...ctx.store.networkIds()]);
  const networks: NetworkDiagnostics[] = [...nids].sort().map((id) => {
    const local = ctx.networks.local(id);
    return {
      id,
      nodes: [...ctx.networks.peersOf(id)].sort(),
      attachments: (attachments.get(id) ?? []).sort((a, b) => (a.node < b.node ? -1 : 1)),
      local:
        local === undefined
          ? null
          : { ltime: local.ltime, leaving: local.leaving, inSync: local.inSync, queued: local.tableBroadcasts.numQueued() },
      entries: ctx.store.countNetwork(id),
    };
  });

  const tables: Record<string, EntryDiagnostics[]> = {};
  for (const table of ctx.store.tableNames().sort()) {
    if (options.entries === false) break;
    const list: EntryDiagnostics[] = [];
    for (const [nid, key, e] of ctx.store.table(table)) {
      list.push({
        nid,
        table,
        key,
        owner: e.owner,
        ltime: e.ltime,
        deleting: e.deleting,
        orphan: e.orphan === true,
        reapInSeconds: e.deleting ? Math.max(0, (e.reapAt - now) / 1000) : null,
        valueBytes: e.value.length,
        valueHex: Buffer.from(e.value.slice(0, 64), "latin1").toString("hex"),
      });
    }
    tables[table] = list.sort((a, b) => (a.nid + "/" + a.key < b.nid + "/" + b.key ? -1 : 1));
  }

  const tableQueues: Record<string, number> = {};
  for (const n of ctx.networks.localNetworks()) tableQueues[n.id] = n.tableBroadcasts.numQueued();

  return {
    nodeId: ctx.self,
    hostname: ctx.config.hostname,
    now,
    lamport: { network: ctx.clocks.network.time(), table: ctx.clocks.table.time() },
    members: [...members.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    networks,
    tables,
    entryCount: ctx.store.size,
    tombstoneCount: ctx.store.tombstones,
    queues: {
      memberlist: ml?.broadcasts.numQueued() ?? 0,
      networkEvents: ctx.broadcasts.network.numQueued(),
      nodeEvents: ctx.broadcasts.node.numQueued(),
      tableEvents: tableQueues,
    },
    watchers: ctx.watchers.size,
    counters: { ...ctx.counters },
    memberlist: ml?.stats() ?? null,
    healthScore: ml?.getHealthScore() ?? 0,
  };
}
