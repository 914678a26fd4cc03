/**
 * The store: every table entry this node knows, keyed by (network, table,
 * key), live ones and tombstones (entries being deleted, kept for the reap
 * interval so that no late or replayed create can bring them back).
 *
 * One copy of each entry, reachable two ways: by network (network -> table
 * -> key -> entry: bulk syncs and a node leaving a network walk a network)
 * and by table (table -> the networks that have it: walkTable). Docker keeps
 * two radix trees for that; nested maps give the same walks without a
 * second copy of the keys.
 *
 * Memory: an entry is one small object (value, owner, Lamport time, reap
 * time) in one Map slot, the owner a string shared by all its entries, the
 * value's bytes held in a one-byte ("latin1") string: V8's most compact way
 * to keep a few hundred bytes (a 16-byte header, where a Uint8Array costs a
 * view object of about 100 bytes plus its share of an ArrayBuffer). The
 * test suite measures the cost per entry beyond key and value bytes
 * (target: at most 200 bytes; measured about 120).
 *
 * Resurrection guard (cnm): when a tombstone is purged, the store remembers
 * its Lamport time as a floor for its owner in its network. An event for a
 * key the store does not hold, from that owner, at or below the floor, is
 * older than a delete already applied and forgotten: a replay, refused.
 * Whatever drops an owner's entries without tombstones (this node leaving the
 * network, the owner leaving the cluster) clears the floor, because the
 * owner's older live entries must then be accepted again.
 */

/** One table entry (live or tombstone). */
export interface TableEntry {
  /**
   * The entry's value bytes, one char per byte (see storedValue/valueBytes);
   * a tombstone keeps the last value (deletes carry it).
   */
  value: string;
  /** The node that owns (wrote) the entry. */
  owner: string;
  /** Lamport time (table clock) of the entry's latest version. */
  ltime: number;
  /** True for a tombstone. */
  deleting: boolean;
  /** Tombstones: clock time at which the tombstone may be purged (0 for live entries). */
  reapAt: number;
  /**
   * cnm: not a delete but the trace of a live entry dropped because its
   * owner failed or left the cluster (see ownership.ts). Hidden like a
   * tombstone and never sent to anyone; it refuses older versions of the
   * entry (a late datagram, a delayed stream) and lets the same or a newer
   * version back in when the owner returns.
   */
  orphan?: true;
}

type KeyMap = Map<string, TableEntry>;
type TableMap = Map<string, KeyMap>;

/** Bytes as stored in an entry: a one-byte string, char i = byte i (a copy: the input may be reused). */
export function storedValue(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** A stored value back as bytes (a new array each time). */
export function valueBytes(stored: string): Uint8Array {
  const b = Buffer.from(stored, "latin1");
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export class TableStore {
  /** network -> table -> key -> entry. */
  private readonly networks = new Map<string, TableMap>();
  /** table -> networks that hold entries of it. */
  private readonly tables = new Map<string, Set<string>>();
  /** network -> owner -> floor (see the resurrection guard). */
  private readonly floors = new Map<string, Map<string, number>>();
  /** Interned owner names, so thousands of entries share one string per node. */
  private readonly owners = new Map<string, string>();
  private entryCount = 0;
  private tombstoneCount = 0;

  /** Number of entries, tombstones included. */
  get size(): number {
    return this.entryCount;
  }

  /** Number of tombstones. */
  get tombstones(): number {
    return this.tombstoneCount;
  }

  get(table: string, nid: string, key: string): TableEntry | undefined {
    return this.networks.get(nid)?.get(table)?.get(key);
  }

  /** Insert or replace the entry at (table, nid, key). Returns true when the key was new. */
  set(table: string, nid: string, key: string, entry: TableEntry): boolean {
    entry.owner = this.intern(entry.owner);
    let tables = this.networks.get(nid);
    if (tables === undefined) {
      tables = new Map();
      this.networks.set(nid, tables);
    }
    let keys = tables.get(table);
    if (keys === undefined) {
      keys = new Map();
      tables.set(table, keys);
      let nids = this.tables.get(table);
      if (nids === undefined) {
        nids = new Set();
        this.tables.set(table, nids);
      }
      nids.add(nid);
    }
    const old = keys.get(key);
    keys.set(key, entry);
    if (old === undefined) this.entryCount++;
    else if (old.deleting) this.tombstoneCount--;
    if (entry.deleting) this.tombstoneCount++;
    return old === undefined;
  }

  /** Remove the entry at (table, nid, key); returns it if there was one. */
  delete(table: string, nid: string, key: string): TableEntry | undefined {
    const tables = this.networks.get(nid);
    const keys = tables?.get(table);
    const old = keys?.get(key);
    if (old === undefined) return undefined;
    keys!.delete(key);
    this.entryCount--;
    if (old.deleting) this.tombstoneCount--;
    if (keys!.size === 0) {
      tables!.delete(table);
      const nids = this.tables.get(table);
      nids?.delete(nid);
      if (nids?.size === 0) this.tables.delete(table);
      if (tables!.size === 0) this.networks.delete(nid);
    }
    return old;
  }

  /** Entries of one table in one network (live and tombstones), or undefined. Do not modify. */
  tableOf(table: string, nid: string): ReadonlyMap<string, TableEntry> | undefined {
    return this.networks.get(nid)?.get(table);
  }

  /** Every entry of a network: [table, key, entry]. Safe to modify the store while iterating. */
  *network(nid: string): Generator<[string, string, TableEntry]> {
    const tables = this.networks.get(nid);
    if (tables === undefined) return;
    for (const [table, keys] of tables) for (const [key, entry] of keys) yield [table, key, entry];
  }

  /** Every entry of a table: [nid, key, entry]. */
  *table(table: string): Generator<[string, string, TableEntry]> {
    const nids = this.tables.get(table);
    if (nids === undefined) return;
    for (const nid of [...nids]) {
      const keys = this.networks.get(nid)?.get(table);
      if (keys === undefined) continue;
      for (const [key, entry] of keys) yield [nid, key, entry];
    }
  }

  /** Every entry: [nid, table, key, entry]. */
  *all(): Generator<[string, string, string, TableEntry]> {
    for (const [nid, tables] of this.networks) {
      for (const [table, keys] of tables) for (const [key, entry] of keys) yield [nid, table, key, entry];
    }
  }

  /** Networks that hold entries. */
  networkIds(): string[] {
    return [...this.networks.keys()];
  }

  /** Tables that hold entries, with their networks. */
  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  /** Number of entries (tombstones included) in a network. */
  countNetwork(nid: string): number {
    let n = 0;
    const tables = this.networks.get(nid);
    if (tables !== undefined) for (const keys of tables.values()) n += keys.size;
    return n;
  }

  /**
   * Purge the tombstones whose reap time has come (`now` on the store's
   * clock). Each raises its owner's floor when `tracked(nid, owner)`: the
   * floor only means something while this node keeps following that
   * owner's entries in that network (both are in it). Returns how many
   * tombstones were purged.
   */
  purge(now: number, tracked: (nid: string, owner: string) => boolean): number {
    if (this.tombstoneCount === 0) return 0;
    let purged = 0;
    for (const [nid, tables] of [...this.networks]) {
      for (const [table, keys] of [...tables]) {
        for (const [key, entry] of keys) {
          if (!entry.deleting || entry.reapAt > now) continue;
          // An orphan's owner may still hold the entry at that very time: no floor from it.
          if (entry.orphan !== true && tracked(nid, entry.owner)) this.raiseFloor(nid, entry.owner, entry.ltime);
          this.delete(table, nid, key);
          purged++;
        }
      }
    }
    return purged;
  }

  /** The resurrection floor of `owner` in `nid` (0: none). */
  floor(nid: string, owner: string): number {
    return this.floors.get(nid)?.get(owner) ?? 0;
  }

  /** Forget the floors of a network (this node dropped the network's remote entries). */
  clearNetworkFloors(nid: string): void {
    this.floors.delete(nid);
  }

  /** Forget the floors of an owner in every network (its live entries were dropped). */
  clearOwnerFloors(owner: string): void {
    for (const [nid, owners] of this.floors) {
      owners.delete(owner);
      if (owners.size === 0) this.floors.delete(nid);
    }
  }

  private raiseFloor(nid: string, owner: string, ltime: number): void {
    let owners = this.floors.get(nid);
    if (owners === undefined) {
      owners = new Map();
      this.floors.set(nid, owners);
    }
    if ((owners.get(owner) ?? 0) < ltime) owners.set(owner, ltime);
  }

  private intern(owner: string): string {
    const known = this.owners.get(owner);
    if (known !== undefined) return known;
    this.owners.set(owner, owner);
    return owner;
  }

  /** Forget an owner's interned name once it owns nothing (bounded memory with node churn). */
  forgetOwner(owner: string): void {
    this.owners.delete(owner);
  }
}
