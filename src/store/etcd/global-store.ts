/**
 * Global networks in etcd: the GlobalStore every host of a cluster shares.
 *
 * Keys, under the store's root:
 *   networks/id/<nid>        the NetworkRecord as JSON
 *   networks/name/<name>     the nid, which makes names unique cluster-wide
 *   endpoints/<nid>/<eid>    a GlobalEndpoint as JSON
 *
 * Why delete and putEndpoint cannot race: each is one transaction, and etcd
 * serialises transactions. deleteNetwork commits only if the network record
 * is unchanged since it was read AND no key exists under endpoints/<nid>/ (a
 * range compare, which etcd evaluates over the whole prefix, an empty one
 * counting as one absent key); putEndpoint commits only if the network
 * record exists. Whichever commits first makes the other's compare fail, so
 * there is never a deleted network with an endpoint registered, and never an
 * endpoint registered on a network that is gone.
 */
import { ConflictError, ForbiddenError, NotFoundError } from "../../errors.js";
import type { GlobalEndpoint, GlobalNetworkChange, GlobalStore } from "../../controllerapi/index.js";
import type { NetworkRecord } from "../../controllerapi/index.js";
import type { ClusterStore } from "./client.js";
import { NetworkWatch } from "./network-watch.js";
import { parseRecord } from "./record-codec.js";
import { absent, del, firstKv, get, getPrefix, kvsOf, noKeyUnder, present, put, unchangedSince } from "./ops.js";

export const NETWORKS_BY_ID = "networks/id/";
const NETWORKS_BY_NAME = "networks/name/";
const ENDPOINTS = "endpoints/";

/** How many endpoints a refused delete names at most. */
const NAMED_IN_USE = 8;
/** Rounds of a delete whose record changed under it before giving up. */
const DELETE_ATTEMPTS = 10;

export class EtcdGlobalStore implements GlobalStore {
  private readonly watches = new Set<NetworkWatch>();

  constructor(private readonly store: ClusterStore) {}

  private networkKey(nid: string): Buffer {
    return this.store.key(NETWORKS_BY_ID + encodeURIComponent(nid));
  }

  private nameKey(name: string): Buffer {
    return this.store.key(NETWORKS_BY_NAME + encodeURIComponent(name));
  }

  private endpointsPrefix(nid: string): Buffer {
    return this.store.key(`${ENDPOINTS}${encodeURIComponent(nid)}/`);
  }

  private endpointKey(nid: string, eid: string): Buffer {
    return this.store.key(`${ENDPOINTS}${encodeURIComponent(nid)}/${encodeURIComponent(eid)}`);
  }

  async watchNetworks(listener: (change: GlobalNetworkChange) => void): Promise<{ readonly networks: NetworkRecord[]; close(): void }> {
    const watch = new NetworkWatch(this.store, NETWORKS_BY_ID, listener);
    const networks = await watch.start();
    this.watches.add(watch);
    return {
      networks,
      close: () => {
        this.watches.delete(watch);
        watch.close();
      },
    };
  }

  async createNetwork(record: NetworkRecord): Promise<void> {
    const idKey = this.networkKey(record.id);
    const nameKey = this.nameKey(record.name);
    const res = await this.store.txn({
      compare: [absent(idKey), absent(nameKey)],
      success: [put(idKey, JSON.stringify(record)), put(nameKey, record.id)],
      failure: [get(idKey), get(nameKey)],
    });
    if (res.succeeded) return;
    if (firstKv(res.responses[0])) throw new ConflictError(`network with id ${record.id} already exists`);
    const holder = firstKv(res.responses[1])?.value.toString() ?? "?";
    throw new ConflictError(`network with name ${record.name} already exists (id ${holder})`);
  }

  async deleteNetwork(nid: string): Promise<void> {
    const idKey = this.networkKey(nid);
    const endpoints = this.endpointsPrefix(nid);
    for (let attempt = 0; attempt < DELETE_ATTEMPTS; attempt++) {
      const current = (await this.store.range({ key: idKey })).kvs[0];
      if (!current) throw new NotFoundError(`network ${nid} not found`);
      const record = parseRecord(current.value);
      const res = await this.store.txn({
        compare: [unchangedSince(idKey, current.mod_revision), noKeyUnder(endpoints)],
        success: [del(idKey), del(this.nameKey(record.name))],
        failure: [get(idKey), getPrefix(endpoints, NAMED_IN_USE)],
      });
      if (res.succeeded) return;
      if (!firstKv(res.responses[0])) throw new NotFoundError(`network ${nid} not found`);
      const inUse = kvsOf(res.responses[1]).map((kv) => JSON.parse(kv.value.toString()) as GlobalEndpoint);
      if (inUse.length > 0) {
        const named = inUse.map((ep) => `${ep.name} (${ep.id.slice(0, 12)}) on ${ep.host}`).join(", ");
        throw new ForbiddenError(`network ${record.name} (${nid}) has active endpoints: ${named}`);
      }
      // The record itself changed between read and delete: read it again.
    }
    throw new ConflictError(`network ${nid} kept changing while being deleted; try again`);
  }

  async putEndpoint(nid: string, endpoint: GlobalEndpoint): Promise<void> {
    const idKey = this.networkKey(nid);
    const res = await this.store.txn({
      compare: [present(idKey)],
      success: [put(this.endpointKey(nid, endpoint.id), JSON.stringify(endpoint))],
    });
    if (!res.succeeded) throw new NotFoundError(`network ${nid} not found`);
  }

  async deleteEndpoint(nid: string, eid: string): Promise<void> {
    await this.store.txn({ success: [del(this.endpointKey(nid, eid))] });
  }

  async listEndpoints(nid: string): Promise<GlobalEndpoint[]> {
    const res = await this.store.rangePrefix(`${ENDPOINTS}${encodeURIComponent(nid)}/`);
    return res.kvs.map((kv) => JSON.parse(kv.value.toString()) as GlobalEndpoint);
  }

  /** Stops the watches; the connection belongs to whoever made it (ClusterStore.close). */
  async close(): Promise<void> {
    for (const watch of this.watches) watch.close();
    this.watches.clear();
  }
}
