/**
 * What NetworkDB gossips, and in which queue.
 *
 *  - Node events (this node joined/left the cluster) and network events
 *    (a node joined/left a network) concern the whole cluster: they ride on
 *    memberlist's gossip and probe packets, served from two
 *    TransmitLimitedQueues through Delegate.getBroadcasts, sized by the
 *    number of cluster members.
 *  - Table events concern one network: each network this node joined has its
 *    own queue, sized by the network's nodes, which NetworkDB's own gossip
 *    round sends to a few peers of that network (gossip.ts).
 *
 * A newer event about the same thing replaces a queued older one (a network
 * event about the same node and network; a table event about the same
 * network, table and key), as in Docker; node events never replace each other.
 */
import { retransmitLimit, type Broadcast } from "./memberlist/index.js";

/** A broadcast NetworkDB queues: it names what it is about, and replaces a queued one about the same thing. */
export interface KeyedBroadcast extends Broadcast {
  /** What the broadcast is about; a newer one with the same key replaces it (null: never replaced). */
  readonly key: string | null;
}

/** Messages in a row that did not fit, after which a take stops looking for smaller ones. */
const MAX_MISSES = 32;

interface QueueEntry {
  broadcast: KeyedBroadcast;
  transmits: number;
  /** Removed (sent enough, or replaced); left in its bucket until compaction. */
  gone: boolean;
}

/**
 * memberlist's TransmitLimitedQueue semantics (each broadcast sent
 * retransmitMult * ceil(log10(n + 1)) times, least transmitted first, the
 * newest first among equals, a newer broadcast replacing the one it
 * invalidates) at a cost independent of the queue's length. memberlist's
 * queue scans every queued broadcast on each insert and sorts the queue on
 * each take: fine for its own few messages, but while a thousand nodes join
 * a network every node queues a thousand events, and that scanning became
 * the largest cost of a simulated cluster. Here broadcasts are indexed by
 * key and kept in buckets by transmit count.
 */
export class TransmitQueue {
  /** transmit count -> entries in the order they entered the bucket (oldest first). */
  private readonly buckets = new Map<number, QueueEntry[]>();
  private readonly byKey = new Map<string, QueueEntry>();
  private count = 0;
  private garbage = 0;

  constructor(
    /** Current number of nodes the broadcasts are for (drives the transmit limit). */
    readonly numNodes: () => number,
    readonly retransmitMult: number,
    /** Most broadcasts kept: queueing beyond drops per prune() (default: unbounded). */
    readonly maxRetain = Infinity,
  ) {}

  /**
   * Queue `b`, first dropping (and finishing) the queued broadcast with the
   * same key; beyond maxRetain, prune.
   */
  queueBroadcast(b: KeyedBroadcast): void {
    if (b.key !== null) {
      const old = this.byKey.get(b.key);
      if (old !== undefined) this.remove(old);
    }
    const entry: QueueEntry = { broadcast: b, transmits: 0, gone: false };
    this.bucket(0).push(entry);
    if (b.key !== null) this.byKey.set(b.key, entry);
    this.count++;
    if (this.count > this.maxRetain) this.prune(this.maxRetain);
  }

  /**
   * Messages to send now, least transmitted first (newest first among
   * equals), each costing `overhead` + its length, at most `limit` bytes in
   * all; messages that do not fit are skipped. Each returned message counts
   * one transmission; those reaching the limit leave the queue.
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.count === 0) return [];
    const transmitLimit = retransmitLimit(this.retransmitMult, this.numNodes());
    const out: Uint8Array[] = [];
    const moved: QueueEntry[] = [];
    let used = 0;
    let misses = 0;
    const counts = [...this.buckets.keys()].sort((a, b) => a - b);
    scan: for (const t of counts) {
      const list = this.buckets.get(t)!;
      for (let i = list.length - 1; i >= 0; i--) {
        const e = list[i]!;
        if (e.gone) continue;
        // Nothing fits any more; or the packet is as good as full (a long
        // queue of similar messages would otherwise be scanned to the end).
        if (limit - used <= overhead || misses >= MAX_MISSES) break scan;
        const msg = e.broadcast.message();
        if (used + overhead + msg.length > limit) {
          misses++;
          continue;
        }
        misses = 0;
        used += overhead + msg.length;
        out.push(msg);
        moved.push(e);
      }
    }
    // Oldest first, so that entries keep their relative order in the next bucket.
    moved.reverse();
    for (const e of moved) {
      // Leave the old bucket (lazily), then either finish or enter the next one.
      e.gone = true;
      this.garbage++;
      const transmits = e.transmits + 1;
      if (transmits >= transmitLimit) {
        this.count--;
        if (e.broadcast.key !== null && this.byKey.get(e.broadcast.key) === e) this.byKey.delete(e.broadcast.key);
        e.broadcast.finished();
        continue;
      }
      const next: QueueEntry = { broadcast: e.broadcast, transmits, gone: false };
      this.bucket(transmits).push(next);
      if (e.broadcast.key !== null) this.byKey.set(e.broadcast.key, next);
    }
    this.compact();
    return out;
  }

  /** Number of queued broadcasts. */
  numQueued(): number {
    return this.count;
  }

  /**
   * Keep at most `maxRetain` broadcasts, dropping the most transmitted
   * first, the oldest first among equals (memberlist's Prune).
   */
  prune(maxRetain: number): void {
    if (this.count <= maxRetain) return;
    const counts = [...this.buckets.keys()].sort((a, b) => b - a);
    for (const t of counts) {
      for (const e of this.buckets.get(t)!) {
        if (this.count <= maxRetain) break;
        this.remove(e);
      }
      if (this.count <= maxRetain) break;
    }
    this.compact();
  }

  /** Drop (and finish) everything. */
  reset(): void {
    for (const list of this.buckets.values()) for (const e of list) if (!e.gone) e.broadcast.finished();
    this.buckets.clear();
    this.byKey.clear();
    this.count = 0;
    this.garbage = 0;
  }

  private bucket(t: number): QueueEntry[] {
    let list = this.buckets.get(t);
    if (list === undefined) {
      list = [];
      this.buckets.set(t, list);
    }
    return list;
  }

  private remove(e: QueueEntry): void {
    if (e.gone) return;
    e.gone = true;
    this.garbage++;
    this.count--;
    if (e.broadcast.key !== null && this.byKey.get(e.broadcast.key) === e) this.byKey.delete(e.broadcast.key);
    e.broadcast.finished();
  }

  /** Drop removed entries once they outnumber the live ones. */
  private compact(): void {
    if (this.garbage < 64 || this.garbage < this.count) return;
    for (const [t, list] of this.buckets) {
      const live = list.filter((e) => !e.gone);
      if (live.length === 0) this.buckets.delete(t);
      else this.buckets.set(t, live);
    }
    this.garbage = 0;
  }
}

/** A table event in a network's queue. */
export class TableEventBroadcast implements KeyedBroadcast {
  readonly key: string;

  constructor(
    readonly nid: string,
    readonly table: string,
    readonly entryKey: string,
    /** The complete GossipMessage{TABLE_EVENT}. */
    private readonly msg: Uint8Array,
  ) {
    this.key = `${nid}\0${table}\0${entryKey}`;
  }

  invalidates(other: Broadcast): boolean {
    return other instanceof TableEventBroadcast && other.key === this.key;
  }

  message(): Uint8Array {
    return this.msg;
  }

  finished(): void {}
}

/** A network event in the cluster-wide network queue. */
export class NetworkEventBroadcast implements KeyedBroadcast {
  readonly key: string;

  constructor(
    readonly nid: string,
    readonly node: string,
    /** The complete GossipMessage{NETWORK_EVENT}. */
    private readonly msg: Uint8Array,
  ) {
    this.key = `${nid}\0${node}`;
  }

  invalidates(other: Broadcast): boolean {
    return other instanceof NetworkEventBroadcast && other.key === this.key;
  }

  message(): Uint8Array {
    return this.msg;
  }

  finished(): void {}
}

/** A node event in the cluster-wide node queue; `notify` runs once it has been sent enough times (or dropped). */
export class NodeEventBroadcast implements KeyedBroadcast {
  readonly key = null;
  private done = false;

  constructor(
    /** The complete GossipMessage{NODE_EVENT}. */
    private readonly msg: Uint8Array,
    private readonly notify: (() => void) | null = null,
  ) {}

  invalidates(): boolean {
    return false;
  }

  message(): Uint8Array {
    return this.msg;
  }

  finished(): void {
    if (this.done) return;
    this.done = true;
    this.notify?.();
  }
}

/** The cluster-wide queues, and how Delegate.getBroadcasts drains them. */
export class ClusterBroadcasts {
  readonly network: TransmitQueue;
  readonly node: TransmitQueue;

  constructor(numNodes: () => number, retransmitMult: number) {
    this.network = new TransmitQueue(numNodes, retransmitMult);
    this.node = new TransmitQueue(numNodes, retransmitMult);
  }

  /**
   * Messages for a memberlist packet: network events first, then node
   * events in the room left (Docker gives each queue the whole limit, which
   * can overfill a packet; here the two share it).
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const msgs = this.network.getBroadcasts(overhead, limit);
    let used = 0;
    for (const m of msgs) used += overhead + m.length;
    if (limit - used > overhead) msgs.push(...this.node.getBroadcasts(overhead, limit - used));
    return msgs;
  }
}

/** A new per-network table event queue (Docker: RetransmitMult 4, sized by the network's node count). */
export function newTableQueue(numNodes: () => number, retransmitMult: number, maxLen: number): TransmitQueue {
  return new TransmitQueue(numNodes, retransmitMult, maxLen);
}
