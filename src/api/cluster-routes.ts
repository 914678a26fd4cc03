import type { FastifyInstance } from "fastify";
import { UnavailableError } from "../errors.js";
import type { ApiController } from "./backend.js";
import { checkRef } from "./names.js";

/** A member of the cluster as this host's NetworkDB sees it. */
export interface ClusterMemberView {
  readonly NodeID: string;
  readonly Addr: string;
  /** memberlist's view: alive, suspect, dead or left. */
  readonly State: string;
  /** NetworkDB's view: active, failed or left. */
  readonly NetworkDBState: string;
}

export interface ClusterNetworkView {
  readonly ID: string;
  /** Node ids of the hosts in the network's gossip, this one included. */
  readonly Nodes: readonly string[];
  readonly Entries: number;
}

export interface ClusterEntryView {
  readonly Key: string;
  /** Node id of the host whose endpoint owns the entry. */
  readonly Owner: string;
  /** The value, base64. */
  readonly Value: string;
  /** The value decoded, for tables whose format cnm knows (overlay_peer_table, endpoint_table). */
  readonly Decoded?: unknown;
}

/** What the cluster routes read: this host's NetworkDB, through the daemon. */
export interface ClusterBackend {
  self(): { readonly NodeName: string; readonly NodeID: string; readonly Addr: string; readonly ClusterStore: string };
  members(): ClusterMemberView[];
  networks(): ClusterNetworkView[];
  table(nid: string, table: string): ClusterEntryView[];
}

/**
 * cnm's own read-only view of the cluster (Docker has no such endpoints):
 * GET /cluster, /cluster/networks, /cluster/networks/{network}/tables/{table}.
 */
export function registerClusterRoutes(app: FastifyInstance, controller: Pick<ApiController, "network">, cluster: ClusterBackend | undefined): void {
  const backend = (): ClusterBackend => {
    if (!cluster) throw new UnavailableError("this cnmd is not in a cluster: start it with --cluster-store and --advertise-addr");
    return cluster;
  };
  app.get("/cluster", async () => ({ ...backend().self(), Members: backend().members() }));
  app.get("/cluster/networks", async () => backend().networks());
  app.get<{ Params: { network: string; table: string } }>("/cluster/networks/:network/tables/:table", async (req) => {
    const b = backend();
    const net = controller.network(checkRef("network", req.params.network));
    return b.table(net.id, req.params.table);
  });
}
