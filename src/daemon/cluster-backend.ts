import type { ClusterBackend, ClusterEntryView } from "../api/index.js";
import type { NetworkDB } from "../networkdb/index.js";
import { errorText, quietLogger, type Logger } from "../log/index.js";

/** Decoders of table values whose format cnm knows, by table name. */
export type TableDecoders = Readonly<Record<string, (value: Uint8Array) => unknown>>;

/** The /cluster routes' view of this host's NetworkDB. */
export function networkDBClusterBackend(
  db: NetworkDB,
  self: { nodeName: string; address: string; store: string },
  decoders: TableDecoders,
  log: Logger = quietLogger,
): ClusterBackend {
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
        } catch (err) {
          // Shown as base64 only: a value from another node (or version) that this one cannot read.
          log.debug(`cluster table ${table} of network ${nid}: entry ${key} from ${elem.owner} does not decode: ${errorText(err)}`);
          decoded = undefined;
        }
        out.push(decoded === undefined ? entry : { ...entry, Decoded: decoded });
      }
      return out.sort((a, b) => a.Key.localeCompare(b.Key));
    },
  };
}
