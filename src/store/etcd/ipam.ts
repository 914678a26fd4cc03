/**
 * IPAM of the global address space ("GlobalDefault") on etcd, shared by every
 * host of the cluster: no two pools overlap, and no address is handed out
 * twice, even when hosts race.
 *
 * Keys, under the store's root:
 *   ipam/GlobalDefault/pools               every pool (JSON); all pool changes
 *                                          compare its mod_revision, so two hosts
 *                                          never add overlapping pools (pools
 *                                          change rarely: one key is enough)
 *   ipam/GlobalDefault/pool/<poolId>       the pool itself; address transactions
 *                                          compare its create_revision, so none
 *                                          lands in a pool released meanwhile
 *   ipam/GlobalDefault/addr/<poolId>/<hex offset>   one key per address, created
 *                                          only if absent
 *
 * Dynamic addresses: the requests of one host for one pool are batched into
 * one transaction holding a nested transaction per address (create if
 * absent), so concurrent requests cost few round trips; an address another
 * host took first only fails its own nested transaction, and that request
 * goes into the next batch. Addresses come serially from this host's cursor,
 * low to high, like Docker's.
 */
import type { IKeyValue } from "etcd3";
import { ConflictError } from "../../errors.js";
import type { AddressSpaceNames, AllocatedAddress, AllocatedPool, Capability, Ipam, PoolRequest } from "../../ipamapi/contract.js";
import { AddressInUseError, InvalidAddressSpaceError, InvalidRequestError, PoolExhaustedError, NoMorePoolsError, PoolOverlapError, UnknownPoolError } from "../../ipamapi/errors.js";
import { AllocSerialOption, GatewayAddressType, GlobalDefaultAddressSpace, LocalDefaultAddressSpace, RequestAddressType } from "../../ipamapi/labels.js";
import { makePoolId } from "../../ipam/address-pool.js";
import { DEFAULT_GLOBAL_POOLS, type NetworkToSplit, type SplitPlan, findFreeSubnet, planSplits } from "../../ipam/predefined-pools.js";
import { type Prefix, prefixContains, prefixesOverlap, prefixToString } from "../../inet/index.js";
import { parseIpamCidr } from "../../ipam/cidr.js";
import type { ClusterStore } from "./client.js";
import { absent, createdAt, del, delPrefix, firstKv, get, put, unchangedSince } from "./ops.js";
import { PoolView, type StoredPool } from "./pool-view.js";

export interface EtcdIpamConfig {
  /** Predefined pools of GlobalDefault. Default: Docker's (10.0.0.0/8 in /24s, fd00:0:1::/48 in /64s). */
  readonly globalPools?: readonly NetworkToSplit[];
}

/** Counters for tests and benchmarks. */
export interface EtcdIpamStats {
  /** Transactions that claimed addresses (each may claim many). */
  addressTxns: number;
  /** Addresses another host claimed first, so their requests tried again. */
  lostRaces: number;
}

/** Addresses claimed in one transaction at most (etcd allows 128 operations per transaction). */
const MAX_BATCH = 100;
/** Rounds a request may lose before giving up. */
const ATTEMPTS = 30;

interface PendingAddress {
  resolve(a: AllocatedAddress): void;
  reject(err: unknown): void;
}

interface PoolList {
  readonly pools: Array<{ readonly id: string } & StoredPool>;
}

export class EtcdIpam implements Ipam {
  private readonly space = GlobalDefaultAddressSpace;
  private readonly plans: readonly SplitPlan[];
  private readonly views = new Map<string, PoolView>();
  private readonly queues = new Map<string, PendingAddress[]>();
  private readonly flushing = new Set<string>();
  readonly stats: EtcdIpamStats = { addressTxns: 0, lostRaces: 0 };

  constructor(
    private readonly store: ClusterStore,
    config: EtcdIpamConfig = {},
  ) {
    this.plans = planSplits(config.globalPools ?? DEFAULT_GLOBAL_POOLS);
  }

  getDefaultAddressSpaces(): AddressSpaceNames {
    return { local: LocalDefaultAddressSpace, global: GlobalDefaultAddressSpace };
  }

  isBuiltIn(): boolean {
    return true;
  }

  /** Everything lives in etcd: nothing to replay on start. */
  getCapabilities(): Capability {
    return { requiresMACAddress: false, requiresRequestReplay: false };
  }

  private get poolsKey(): Buffer {
    return this.store.key(`ipam/${this.space}/pools`);
  }

  private poolKey(poolId: string): Buffer {
    return this.store.key(`ipam/${this.space}/pool/${encodeURIComponent(poolId)}`);
  }

  private addrPrefix(poolId: string): string {
    return `ipam/${this.space}/addr/${encodeURIComponent(poolId)}/`;
  }

  private async readPools(): Promise<{ list: PoolList; kv: IKeyValue | undefined }> {
    const kv = (await this.store.range({ key: this.poolsKey })).kvs[0];
    return { list: kv ? (JSON.parse(kv.value.toString()) as PoolList) : { pools: [] }, kv };
  }

  async requestPool(req: PoolRequest): Promise<AllocatedPool> {
    if (req.addressSpace !== this.space) throw new InvalidAddressSpaceError(req.addressSpace);
    const family = req.v6 ? 6 : 4;
    const wanted = req.pool === undefined || req.pool === "" ? undefined : parseIpamCidr(req.pool);
    const sub = req.subPool === undefined || req.subPool === "" ? undefined : parseIpamCidr(req.subPool);
    if (!wanted && sub) throw new InvalidRequestError(`sub-pool ${req.subPool} given without a pool`);
    if (wanted && wanted.family !== family) throw new InvalidRequestError(`pool ${req.pool} is IPv${wanted.family} but the request is for IPv${family}`);
    if (wanted && sub && !prefixContains(wanted, sub)) {
      throw new InvalidRequestError(`sub-pool ${prefixToString(sub)} is not inside pool ${prefixToString(wanted)}`);
    }
    const exclude = (req.exclude ?? []).map(parseIpamCidr);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { list, kv } = await this.readPools();
      const inUse = list.pools.map((p) => parseIpamCidr(p.pool));
      let prefix: Prefix;
      if (wanted) {
        const clash = inUse.find((p) => prefixesOverlap(p, wanted));
        if (clash) throw new PoolOverlapError(prefixToString(wanted), prefixToString(clash), this.space);
        prefix = wanted;
      } else {
        const found = findFreeSubnet(this.plans, family, [...inUse, ...exclude]);
        if (!found) throw new NoMorePoolsError(this.space, req.v6);
        prefix = found;
      }
      const id = makePoolId(this.space, prefix, sub);
      const stored: StoredPool = { pool: prefixToString(prefix), ...(sub ? { subPool: prefixToString(sub) } : {}) };
      const next: PoolList = { pools: [...list.pools, { id, ...stored }] };
      const res = await this.store.txn({
        compare: [unchangedSince(this.poolsKey, kv?.mod_revision ?? "0"), absent(this.poolKey(id))],
        success: [put(this.poolsKey, JSON.stringify(next)), put(this.poolKey(id), JSON.stringify(stored)), delPrefix(this.store.key(this.addrPrefix(id)))],
      });
      // Lost to another host's pool change: look at the pools again.
      if (res.succeeded) return { poolId: id, pool: stored.pool, meta: {} };
    }
    throw new ConflictError(`the pools of ${this.space} kept changing; try again`);
  }

  async releasePool(poolId: string): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { list, kv } = await this.readPools();
      if (!kv || !list.pools.some((p) => p.id === poolId)) throw new UnknownPoolError(poolId);
      const next: PoolList = { pools: list.pools.filter((p) => p.id !== poolId) };
      const res = await this.store.txn({
        compare: [unchangedSince(this.poolsKey, kv.mod_revision)],
        success: [put(this.poolsKey, JSON.stringify(next)), del(this.poolKey(poolId)), delPrefix(this.store.key(this.addrPrefix(poolId)))],
      });
      if (res.succeeded) {
        this.views.delete(poolId);
        return;
      }
    }
    throw new ConflictError(`the pools of ${this.space} kept changing; try again`);
  }

  /** The pool as this host knows it, read from etcd when not cached or `refresh`. */
  private async view(poolId: string, refresh = false): Promise<PoolView> {
    const cached = this.views.get(poolId);
    if (cached && !refresh) return cached;
    if (!poolId.startsWith(`${this.space}/`)) throw new UnknownPoolError(poolId);
    const kv = (await this.store.range({ key: this.poolKey(poolId) })).kvs[0];
    if (!kv) {
      this.views.delete(poolId);
      throw new UnknownPoolError(poolId);
    }
    if (cached && cached.createRevision === kv.create_revision) return cached;
    const stored = JSON.parse(kv.value.toString()) as StoredPool;
    const view = new PoolView(
      this.store,
      this.addrPrefix(poolId),
      poolId,
      parseIpamCidr(stored.pool),
      stored.subPool ? parseIpamCidr(stored.subPool) : undefined,
      kv.create_revision,
    );
    this.views.set(poolId, view);
    return view;
  }

  async requestAddress(poolId: string, preferred?: string, options?: Readonly<Record<string, string>>): Promise<AllocatedAddress> {
    if (preferred !== undefined && preferred !== "") return this.requestPreferred(poolId, preferred);
    const lowest = options !== undefined && (options[RequestAddressType] === GatewayAddressType || options[AllocSerialOption] === "false");
    if (lowest) return this.requestLowest(poolId);
    await this.view(poolId); // UnknownPoolError before queueing
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(poolId) ?? [];
      queue.push({ resolve, reject });
      this.queues.set(poolId, queue);
      if (!this.flushing.has(poolId)) void this.flush(poolId);
    });
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    for (let refresh = false; ; refresh = true) {
      const view = await this.view(poolId, refresh);
      const offset = view.offsetOfAddress(address);
      const res = await this.store.txn({
        compare: [createdAt(this.poolKey(poolId), view.createRevision)],
        success: [del(view.addressKey(offset))],
      });
      if (res.succeeded) return;
      // The pool changed under this host's view: look again once.
      if (refresh) throw new UnknownPoolError(poolId);
    }
  }

  /**
   * Claims offsets of the pool, each only if still free: one transaction,
   * guarded by the pool's incarnation, with a nested transaction per offset.
   * Returns which were won, or undefined when the pool is gone.
   */
  private async claim(view: PoolView, offsets: readonly bigint[]): Promise<boolean[] | undefined> {
    this.stats.addressTxns++;
    const res = await this.store.txn({
      compare: [createdAt(this.poolKey(view.id), view.createRevision)],
      success: offsets.map((o) => {
        const key = view.addressKey(o);
        return { request_txn: { compare: [absent(key)], success: [put(key, view.format(o))] } };
      }),
    });
    if (!res.succeeded) return undefined;
    const won = res.responses.map((r) => r.response_txn.succeeded);
    this.stats.lostRaces += won.filter((w) => !w).length;
    return won;
  }

  private async requestPreferred(poolId: string, preferred: string): Promise<AllocatedAddress> {
    for (let refresh = false; ; refresh = true) {
      const view = await this.view(poolId, refresh);
      const offset = view.offsetOfAddress(preferred);
      if (view.isReserved(offset)) throw new AddressInUseError(view.format(offset), view.cidr, "reserved");
      const key = view.addressKey(offset);
      const res = await this.store.txn({
        compare: [createdAt(this.poolKey(poolId), view.createRevision), absent(key)],
        success: [put(key, view.format(offset))],
        failure: [get(this.poolKey(poolId)), get(key)],
      });
      if (res.succeeded) return { address: view.format(offset), meta: {} };
      const poolNow = firstKv(res.responses[0]);
      if (poolNow?.create_revision === view.createRevision && firstKv(res.responses[1])) {
        throw new AddressInUseError(view.format(offset), view.cidr);
      }
      if (refresh) throw new UnknownPoolError(poolId);
    }
  }

  /** The lowest free address of the range (the gateway), without moving the cursor. */
  private async requestLowest(poolId: string): Promise<AllocatedAddress> {
    let view = await this.view(poolId);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const [offset] = await view.findFree(view.rangeLo, 1, false);
      if (offset === undefined) throw this.exhausted(view);
      const won = await this.claim(view, [offset]);
      if (won === undefined) view = await this.view(poolId, true);
      else if (won[0]) return { address: view.format(offset), meta: {} };
    }
    throw new ConflictError(`pool ${view.cidr}: lost ${ATTEMPTS} races for a free address; try again`);
  }

  /** Serves the queued dynamic requests of one pool, a batch per transaction, until none is left. */
  private async flush(poolId: string): Promise<void> {
    this.flushing.add(poolId);
    try {
      const queue = this.queues.get(poolId)!;
      while (queue.length > 0) {
        const batch = queue.splice(0, MAX_BATCH);
        try {
          await this.serveBatch(poolId, batch);
        } catch (err) {
          batch.forEach((p) => p.reject(err));
        }
      }
      this.queues.delete(poolId);
    } finally {
      this.flushing.delete(poolId);
    }
  }

  /** Gives each request of `batch` an address, or rejects it; throws for the whole batch (store down, pool gone). */
  private async serveBatch(poolId: string, batch: PendingAddress[]): Promise<void> {
    let waiting = batch;
    let view = await this.view(poolId);
    for (let attempt = 0; waiting.length > 0; attempt++) {
      if (attempt === ATTEMPTS) throw new ConflictError(`pool ${view.cidr}: lost ${ATTEMPTS} races for free addresses; try again`);
      const offsets = await view.findFree(view.cursor, waiting.length, true);
      if (offsets.length === 0) throw this.exhausted(view);
      const won = await this.claim(view, offsets);
      if (won === undefined) {
        view = await this.view(poolId, true); // UnknownPoolError when released
        continue;
      }
      let given = 0;
      offsets.forEach((offset, i) => {
        if (!won[i]) return;
        waiting[given++]!.resolve({ address: view.format(offset), meta: {} });
        const after = offset + 1n;
        view.cursor = after >= view.rangeHi ? view.rangeLo : after;
      });
      waiting = waiting.slice(given);
    }
  }

  /** The same errors as the local IPAM's, so a mistake answers alike on local and global networks. */
  private exhausted(view: PoolView): PoolExhaustedError {
    return new PoolExhaustedError(view.cidr, view.subPool ? prefixToString(view.subPool) : undefined);
  }
}
