import type { NetworkRecord } from "./records.js";

/**
 * Where networks of global scope live: one store shared by every host of the
 * cluster (etcd), so a network created on any host is seen by all, and no two
 * hosts can create one name twice or delete a network another host still
 * uses. Every method fails with UnavailableError (503) when the store cannot
 * be reached, and then has changed nothing.
 */
export interface GlobalStore {
  /**
   * Every global network now, then each change as it happens (made by any
   * host, this one included). The listener is called in the store's order.
   */
  watchNetworks(listener: (change: GlobalNetworkChange) => void): Promise<{ readonly networks: NetworkRecord[]; close(): void }>;
  /**
   * Create the network's record, atomically refused with ConflictError when
   * a network of the same name or id exists.
   */
  createNetwork(record: NetworkRecord): Promise<void>;
  /**
   * Delete the record, refused with ForbiddenError naming them while any
   * host still has endpoints on it (checked and deleted atomically: an
   * endpoint registered concurrently makes one of the two fail).
   * NotFoundError when there is no such network.
   */
  deleteNetwork(nid: string): Promise<void>;
  /**
   * Register an endpoint of this host on the network; NotFoundError when the
   * network is gone or being deleted. Registering an existing endpoint again
   * is not an error (a restart re-registers).
   */
  putEndpoint(nid: string, endpoint: GlobalEndpoint): Promise<void>;
  /** Unregister it; one already gone is not an error. */
  deleteEndpoint(nid: string, eid: string): Promise<void>;
  /** The endpoints every host has on the network. */
  listEndpoints(nid: string): Promise<GlobalEndpoint[]>;
  close(): Promise<void>;
}

export type GlobalNetworkChange =
  | { readonly type: "put"; readonly record: NetworkRecord }
  | { readonly type: "delete"; readonly id: string };

/** An endpoint as the cluster sees it: which host has it, under what name. */
export interface GlobalEndpoint {
  readonly id: string;
  readonly name: string;
  /** The node name of the host whose sandbox holds it. */
  readonly host: string;
  readonly address?: string;
}
