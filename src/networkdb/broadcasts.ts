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
import { TransmitLimitedQueue, type Broadcast } from "./memberlist/index.js";

/** A table event in a network's queue. */
export class TableEventBroadcast implements Broadcast {
  constructor(
    readonly nid: string,
    readonly table: string,
    readonly key: string,
    /** The complete GossipMessage{TABLE_EVENT}. */
    private readonly msg: Uint8Array,
  ) {}

  invalidates(other: Broadcast): boolean {
    return (
      other instanceof TableEventBroadcast && other.key === this.key && other.table === this.table && other.nid === this.nid
    );
  }

  message(): Uint8Array {
    return this.msg;
  }

  finished(): void {}
}

/** A network event in the cluster-wide network queue. */
export class NetworkEventBroadcast implements Broadcast {
  constructor(
    readonly nid: string,
    readonly node: string,
    /** The complete GossipMessage{NETWORK_EVENT}. */
    private readonly msg: Uint8Array,
  ) {}

  invalidates(other: Broadcast): boolean {
    return other instanceof NetworkEventBroadcast && other.nid === this.nid && other.node === this.node;
  }

  message(): Uint8Array {
    return this.msg;
  }

  finished(): void {}
}

/** A node event in the cluster-wide node queue; `notify` runs once it has been sent enough times (or dropped). */
export class NodeEventBroadcast implements Broadcast {
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
  readonly network: TransmitLimitedQueue;
  readonly node: TransmitLimitedQueue;

  constructor(numNodes: () => number, retransmitMult: number) {
    this.network = new TransmitLimitedQueue({ numNodes, retransmitMult });
    this.node = new TransmitLimitedQueue({ numNodes, retransmitMult });
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
export function newTableQueue(numNodes: () => number, retransmitMult: number): TransmitLimitedQueue {
  return new TransmitLimitedQueue({ numNodes, retransmitMult });
}
