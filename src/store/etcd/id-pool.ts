/**
 * An IdPool in etcd: cluster-wide unique numbers (VXLAN ids) reserved with
 * compare-and-swap, so two hosts never hold one id.
 *
 * Keys, under the store's root:
 *   idpool/<pool>/ids/<id, 10 digits>   the owner holding the id
 *   idpool/<pool>/owners/<owner>        the ids the owner holds (JSON), so
 *                                       release is one transaction
 * Ids are zero-padded so that etcd's key order is numeric order, which lets a
 * range read find the lowest free ids.
 */
import { ConflictError, ExhaustedError, InvalidParameterError } from "../../errors.js";
import type { IdPool } from "../../driverapi/id-pool.js";
import type { ClusterStore } from "./client.js";
import { absent, del, firstKv, get, put, unchangedSince } from "./ops.js";

/** VXLAN network identifiers as Docker's overlay driver hands them out. */
export const VXLAN_ID_RANGE = { first: 4096, last: (1 << 24) - 1 } as const;

/** Ids one owner may hold (etcd allows 128 operations per transaction). */
export const MAX_IDS_PER_OWNER = 64;
/** Rounds lost to concurrent reservers before a reservation gives up. */
const ATTEMPTS = 50;
/** Keys read per page while looking for free ids. */
const PAGE = 256;

export interface IdPoolStats {
  /** Transactions that reserved ids. */
  reserved: number;
  /** Transactions that lost a race for a chosen id and were retried. */
  retries: number;
}

export class EtcdIdPool implements IdPool {
  /** Ids this client is trying to reserve right now, kept away from its other concurrent reservations. */
  private readonly inFlight = new Set<number>();
  readonly stats: IdPoolStats = { reserved: 0, retries: 0 };

  constructor(
    private readonly store: ClusterStore,
    readonly poolName: string,
    readonly range: { readonly first: number; readonly last: number } = VXLAN_ID_RANGE,
  ) {
    if (!/^[A-Za-z0-9._-]+$/.test(poolName)) throw new InvalidParameterError(`id pool name ${JSON.stringify(poolName)}: letters, digits, . _ - only`);
    if (!Number.isSafeInteger(range.first) || !Number.isSafeInteger(range.last) || range.first < 0 || range.last < range.first || range.last >= 1e10) {
      throw new InvalidParameterError(`id pool ${poolName}: bad range ${range.first}..${range.last}`);
    }
  }

  private idKey(id: number): Buffer {
    return this.store.key(`idpool/${this.poolName}/ids/${String(id).padStart(10, "0")}`);
  }

  private ownerKey(owner: string): Buffer {
    return this.store.key(`idpool/${this.poolName}/owners/${encodeURIComponent(owner)}`);
  }

  async reserve(owner: string, request: { readonly wanted?: readonly number[]; readonly count?: number }): Promise<number[]> {
    const wanted = request.wanted === undefined ? undefined : this.checkWanted(request.wanted);
    const count = wanted?.length ?? request.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > MAX_IDS_PER_OWNER) {
      throw new InvalidParameterError(`id pool ${this.poolName}: count ${count} must be 1..${MAX_IDS_PER_OWNER}`);
    }
    const ownerKey = this.ownerKey(owner);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const held = await this.held(ownerKey);
      if (held) return this.sameAsWanted(owner, held, wanted);
      const ids = wanted ?? (await this.chooseFree(count));
      try {
        const keys = ids.map((id) => this.idKey(id));
        const res = await this.store.txn({
          compare: [absent(ownerKey), ...keys.map(absent)],
          success: [put(ownerKey, JSON.stringify(ids)), ...keys.map((k) => put(k, owner))],
          failure: [get(ownerKey), ...keys.map(get)],
        });
        if (res.succeeded) {
          this.stats.reserved++;
          return ids;
        }
        if (firstKv(res.responses[0])) continue; // this owner reserved concurrently: return those
        if (wanted) {
          const i = res.responses.slice(1).findIndex((r) => firstKv(r) !== undefined);
          const holder = firstKv(res.responses[i + 1])?.value.toString();
          throw new ConflictError(`id ${ids[i]} of pool ${this.poolName} is held by ${holder}`);
        }
        this.stats.retries++;
      } finally {
        if (!wanted) ids.forEach((id) => this.inFlight.delete(id));
      }
    }
    throw new ConflictError(`id pool ${this.poolName}: lost ${ATTEMPTS} races for free ids; try again`);
  }

  async release(owner: string): Promise<void> {
    const ownerKey = this.ownerKey(owner);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const kv = (await this.store.range({ key: ownerKey })).kvs[0];
      if (!kv) return;
      const ids = JSON.parse(kv.value.toString()) as number[];
      const res = await this.store.txn({
        compare: [unchangedSince(ownerKey, kv.mod_revision)],
        success: [del(ownerKey), ...ids.map((id) => del(this.idKey(id)))],
      });
      if (res.succeeded) return;
    }
    throw new ConflictError(`id pool ${this.poolName}: owner ${owner} kept changing during release; try again`);
  }

  /** The ids `owner` holds, or undefined. */
  private async held(ownerKey: Buffer): Promise<number[] | undefined> {
    const kv = (await this.store.range({ key: ownerKey })).kvs[0];
    return kv ? (JSON.parse(kv.value.toString()) as number[]) : undefined;
  }

  private sameAsWanted(owner: string, held: number[], wanted: number[] | undefined): number[] {
    if (wanted && (wanted.length !== held.length || wanted.some((id) => !held.includes(id)))) {
      throw new ConflictError(`${owner} already holds ids ${held.join(",")} of pool ${this.poolName}, not ${wanted.join(",")}`);
    }
    return held;
  }

  private checkWanted(wanted: readonly number[]): number[] {
    for (const id of wanted) {
      if (!Number.isInteger(id) || id < this.range.first || id > this.range.last) {
        throw new InvalidParameterError(`id ${id} is outside pool ${this.poolName} (${this.range.first}..${this.range.last})`);
      }
    }
    if (new Set(wanted).size !== wanted.length) throw new InvalidParameterError(`ids ${wanted.join(",")} repeat an id`);
    return [...wanted];
  }

  /**
   * The `count` lowest ids that no key holds and this client is not reserving
   * already; marked in flight before they are returned, so concurrent
   * reservations of this client never pick the same ones.
   */
  private async chooseFree(count: number): Promise<number[]> {
    const chosen: number[] = [];
    const end = this.idKey(this.range.last + 1);
    let next = this.range.first;
    for (;;) {
      const page = await this.store.range({ key: this.idKey(next), range_end: end, limit: PAGE, keys_only: true });
      const taken = page.kvs.map((kv) => Number(kv.key.toString().slice(-10)));
      // The last page also bounds the gap up to the end of the range.
      for (const id of page.more ? taken : [...taken, this.range.last + 1]) {
        for (; next < id && chosen.length < count; next++) if (!this.inFlight.has(next)) chosen.push(next);
        if (chosen.length === count) {
          chosen.forEach((c) => this.inFlight.add(c));
          return chosen;
        }
        next = id + 1;
      }
      if (!page.more) break;
    }
    throw new ExhaustedError(`id pool ${this.poolName} has fewer than ${count} free ids`);
  }
}
