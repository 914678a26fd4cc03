import type { ClusterBackend, ClusterEntryView } from "../api/index.js";
import type { NetworkDB } from "../networkdb/index.js";

/** Decoders of table values whose format cnm knows, by table name. */
export type TableDecoders = Readonly<Record<string, (value: Uint8Array) => unknown>>;

/** The /cluster routes' view of this host's NetworkDB. */
export function networkDBClusterBackend(db: NetworkDB, self: { nodeName: string; address: string; store: string }, decoders: TableDecoders): ClusterBackend {
  return {
    self: () => ({ NodeName: self.nodeName, NodeID: db.nodeId, Addr: self.address, ClusterStore: self.store }),
    members: () =>
      db.diagnostics().members.map((m) => ({
        NodeID: m.name,
        Addr: m.addr,
        State: m.memberlistState ?? "unknown",
        NetworkDBState: m.networkdbState ?? "unknown",
      })),
    networks: () =>
      db
        .diagnostics()
        .networks.filter((n) => n.local !== null && !n.local.leaving)
        .map((n) => ({ ID: n.id, Nodes: n.nodes, Entries: n.entries })),
    table: (nid, table) => {
      const decode = decoders[table];
      const out: ClusterEntryView[] = [];
      for (const [key, elem] of db.getTableByNetwork(table, nid)) {
        const entry: ClusterEntryView = { Key: key, Owner: elem.owner, Value: Buffer.from(elem.value).toString("base64") };
        let decoded: unknown;
        try {
          decoded = decode?.(elem.value);
        } catch {
          decoded = undefined; // shown as base64 only
        }
        out.push(decoded === undefined ? entry : { ...entry, Decoded: decoded });
      }
      return out.sort((a, b) => a.Key.localeCompare(b.Key));
    },
  };
}
