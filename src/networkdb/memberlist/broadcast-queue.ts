/**
 * memberlist's TransmitLimitedQueue: messages waiting to be piggybacked on
 * gossip and probe packets. Each is sent a limited number of times
 * (retransmitMult * ceil(log10(n + 1)), enough for an epidemic to reach every
 * node with high probability); the least transmitted (hence newest) go first;
 * a new message can invalidate an older one it supersedes (alive after
 * suspect about the same node). NetworkDB keeps its own queue of this type for
 * its table and network events and serves it from Delegate.getBroadcasts.
 */

/** Something to gossip. */
export interface Broadcast {
  /** True when queueing this broadcast makes `other` (already queued) obsolete. */
  invalidates(other: Broadcast): boolean;
  /** The encoded message. */
  message(): Uint8Array;
  /** Called once, when the broadcast leaves the queue: transmit limit reached, invalidated, pruned or reset. */
  finished(): void;
}

/** How many times a broadcast is sent in a cluster of `n` nodes. */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

interface Entry {
  transmits: number;
  broadcast: Broadcast;
}

export interface TransmitLimitedQueueOptions {
  /** Current cluster size estimate (drives the transmit limit). */
  numNodes: () => number;
  /** See retransmitLimit (memberlist default 4). */
  retransmitMult: number;
}

export class TransmitLimitedQueue {
  numNodes: () => number;
  retransmitMult: number;
  /** Ordered by transmit count, most transmitted first; among equals, oldest first. Sent from the end. */
  private queue: Entry[] = [];

  constructor(options: TransmitLimitedQueueOptions) {
    this.numNodes = options.numNodes;
    this.retransmitMult = options.retransmitMult;
  }

  /** Enqueue `b`, first dropping (and finishing) every queued broadcast it invalidates. */
  queueBroadcast(b: Broadcast): void {
    // memberlist skips the element after each removal here; we check them all.
    const kept: Entry[] = [];
    for (const e of this.queue) {
      if (b.invalidates(e.broadcast)) e.broadcast.finished();
      else kept.push(e);
    }
    kept.push({ transmits: 0, broadcast: b });
    this.queue = kept;
  }

  /**
   * Take messages to send now, least transmitted first, each costing
   * `overhead` + its length, in total at most `limit` bytes. Messages that do
   * not fit are skipped (a smaller one behind may still fit). Each returned
   * message counts one transmission; those reaching the limit leave the queue.
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.queue.length === 0) return [];
    const transmitLimit = retransmitLimit(this.retransmitMult, this.numNodes());
    let bytesUsed = 0;
    const toSend: Uint8Array[] = [];
    let removed = false;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const e = this.queue[i]!;
      const msg = e.broadcast.message();
      if (bytesUsed + overhead + msg.length > limit) continue;
      bytesUsed += overhead + msg.length;
      toSend.push(msg);
      e.transmits++;
      if (e.transmits >= transmitLimit) {
        e.broadcast.finished();
        e.transmits = -1; // marker: remove below
        removed = true;
      }
    }
    if (toSend.length > 0) {
      const remaining = removed ? this.queue.filter((e) => e.transmits >= 0) : this.queue;
      // Stable sort, most transmitted first, so the least transmitted sit at the end.
      this.queue = remaining.sort((a, b) => b.transmits - a.transmits);
    }
    return toSend;
  }

  /** Number of queued broadcasts. */
  numQueued(): number {
    return this.queue.length;
  }

  /** Drop (and finish) everything. */
  reset(): void {
    for (const e of this.queue) e.broadcast.finished();
    this.queue = [];
  }

  /** Keep only the `maxRetain` entries nearest the send end; finish the others. */
  prune(maxRetain: number): void {
    const n = this.queue.length;
    if (n < maxRetain) return;
    for (const e of this.queue.slice(0, n - maxRetain)) e.broadcast.finished();
    this.queue = this.queue.slice(n - maxRetain);
  }
}

/** A memberlist message about one node: invalidates any queued memberlist message about the same node. */
export class MemberlistBroadcast implements Broadcast {
  constructor(
    /** The node (or, for refutations, the address) the message is about. */
    readonly node: string,
    private readonly msg: Uint8Array,
    private readonly notify: (() => void) | null = null,
  ) {}

  invalidates(other: Broadcast): boolean {
    return other instanceof MemberlistBroadcast && other.node === this.node;
  }

  message(): Uint8Array {
    return this.msg;
  }

  finished(): void {
    const n = this.notify;
    if (n !== null) n();
  }
}
