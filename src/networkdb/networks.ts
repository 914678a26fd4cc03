/**
 * Which nodes are in which network. For every node (this one included) the
 * networks it joined or is leaving, each with the Lamport time (network
 * clock) of its latest join/leave; and for every network, the nodes taking
 * part in it (the peers its table events go to).
 *
 * The rules of Docker's handleNetworkEvent live here as one function,
 * applyNetworkEvent: an event older than what we hold is ignored; a leave
 * marks the attachment leaving (kept until reapNetworkInterval so that its
 * time still beats older joins) and removes the node from the network's
 * peers; a join of a node unknown to the cluster is ignored (if it died we
 * would never hear of it and keep it forever).
 */
import type { TransmitQueue } from "./broadcasts.js";

/** One node's attachment to one network. */
export interface NetworkAttachment {
  readonly id: string;
  /** Lamport time (network clock) of the latest join or leave. */
  ltime: number;
  /** The node is leaving (or left) the network; kept until reapAt for its time. */
  leaving: boolean;
  /** Leaving attachments: clock time at which it is forgotten. */
  reapAt: number;
}

/** This node's own attachment: it also gossips the network's table events. */
export interface LocalNetwork extends NetworkAttachment {
  /** Set once the join-time bulk sync is done: only then are received events re-gossiped (as Docker). */
  inSync: boolean;
  /**
   * cnm: the join found no peer to sync with (their attachments had not
   * reached us yet); the first peer seen joining gets a sync.
   */
  awaitingPeer: boolean;
  /** Table events waiting to be gossiped to the network's peers. */
  readonly tableBroadcasts: TransmitQueue;
  /** Table events gossiped since the last stats line (diagnostics). */
  messagesSent: number;
}

/** What applying a network event changed. */
export type NetworkEventOutcome =
  /** Stale, about ourselves, or about a node we cannot track: ignore, do not re-gossip. */
  | "ignored"
  | "joined"
  /** The node left: its entries in the network must be marked deleted. */
  | "left";

export class Networks {
  /** node -> network -> attachment. */
  private readonly byNode = new Map<string, Map<string, NetworkAttachment>>();
  /** network -> nodes taking part (not leaving), in the order they were added. */
  private readonly members = new Map<string, Set<string>>();
  /** network -> the same nodes as an array (random peer choices index it), rebuilt after a change. */
  private readonly memberLists = new Map<string, string[]>();
  /** Earliest reap time of a leaving attachment (Infinity: none). */
  private nextReap = Infinity;

  constructor(private readonly self: string) {}

  /** Our own attachment to `nid` (leaving or not). */
  local(nid: string): LocalNetwork | undefined {
    return this.byNode.get(this.self)?.get(nid) as LocalNetwork | undefined;
  }

  /** Our own attachments. */
  localNetworks(): LocalNetwork[] {
    return [...(this.byNode.get(this.self)?.values() ?? [])] as LocalNetwork[];
  }

  /** Install our own attachment (joinNetwork). */
  setLocal(network: LocalNetwork): void {
    this.attachments(this.self, true).set(network.id, network);
    this.addNode(network.id, this.self);
  }

  /** A node's attachment to a network, if known. */
  get(node: string, nid: string): NetworkAttachment | undefined {
    return this.byNode.get(node)?.get(nid);
  }

  /** Every attachment: [node, attachment]. */
  *allAttachments(): Generator<[string, NetworkAttachment]> {
    for (const [node, nets] of this.byNode) for (const n of nets.values()) yield [node, n];
  }

  /** Nodes known to have attachments. */
  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  /** Nodes taking part in `nid` (ourselves included when joined). Do not modify. */
  peersOf(nid: string): readonly string[] {
    let list = this.memberLists.get(nid);
    if (list === undefined) {
      const set = this.members.get(nid);
      if (set === undefined) return [];
      list = [...set];
      this.memberLists.set(nid, list);
    }
    return list;
  }

  /** Number of nodes taking part in `nid`. */
  countOf(nid: string): number {
    return this.members.get(nid)?.size ?? 0;
  }

  /** Networks with at least one node taking part. */
  networkIds(): string[] {
    return [...this.members.keys()];
  }

  hasNode(nid: string, node: string): boolean {
    return this.members.get(nid)?.has(node) ?? false;
  }

  addNode(nid: string, node: string): void {
    let set = this.members.get(nid);
    if (set === undefined) {
      set = new Set();
      this.members.set(nid, set);
    }
    if (set.has(node)) return;
    set.add(node);
    this.memberLists.delete(nid);
  }

  removeNode(nid: string, node: string): void {
    const set = this.members.get(nid);
    if (set === undefined || !set.delete(node)) return;
    this.memberLists.delete(nid);
    if (set.size === 0) this.members.delete(nid);
  }

  /** A node left the cluster: forget all its attachments (Docker's deleteNodeFromNetworks). */
  deleteNode(node: string): void {
    for (const nid of [...this.members.keys()]) this.removeNode(nid, node);
    this.byNode.delete(node);
  }

  /** Networks that both we and `node` take part in (not leaving): what a bulk sync with it covers. */
  commonNetworks(node: string): string[] {
    const mine = this.byNode.get(this.self);
    const theirs = this.byNode.get(node);
    if (mine === undefined || theirs === undefined) return [];
    const out: string[] = [];
    for (const nid of mine.keys()) {
      const n = theirs.get(nid);
      if (n !== undefined && !n.leaving) out.push(nid);
    }
    return out;
  }

  /**
   * Docker's handleNetworkEvent. `known(node)`: the node is an active
   * cluster member (memberlist told us about it). `leaveReapAt`: when a
   * leaving attachment created now is to be forgotten.
   */
  applyNetworkEvent(
    event: { type: "join" | "leave"; ltime: number; node: string; nid: string },
    known: (node: string) => boolean,
    leaveReapAt: number,
  ): NetworkEventOutcome {
    if (event.node === this.self) return "ignored";
    const leave = event.type === "leave";
    let nets = this.byNode.get(event.node);
    // A leave from a node we never heard of changes nothing.
    if (nets === undefined && leave) return "ignored";
    const existing = nets?.get(event.nid);
    if (existing !== undefined) {
      if (existing.ltime >= event.ltime) return "ignored";
      existing.ltime = event.ltime;
      existing.leaving = leave;
      if (leave) {
        existing.reapAt = leaveReapAt;
        this.noteLeaving(leaveReapAt);
        this.removeNode(event.nid, event.node);
        return "left";
      }
      existing.reapAt = 0;
      this.addNode(event.nid, event.node);
      return "joined";
    }
    if (leave) return "ignored";
    // Without memberlist's word for the node, we would never hear of its death.
    if (!known(event.node)) return "ignored";
    nets ??= this.attachments(event.node, true);
    nets.set(event.nid, { id: event.nid, ltime: event.ltime, leaving: false, reapAt: 0 });
    this.addNode(event.nid, event.node);
    return "joined";
  }

  /** Forget leaving attachments whose time has come (Docker's reapNetworks). Returns our own networks forgotten. */
  reap(now: number): string[] {
    const forgottenLocal: string[] = [];
    // Runs every few seconds on every node: walk only when something is due.
    if (now < this.nextReap) return forgottenLocal;
    this.nextReap = Infinity;
    for (const [node, nets] of this.byNode) {
      for (const [nid, n] of nets) {
        if (!n.leaving) continue;
        if (n.reapAt > now) {
          this.nextReap = Math.min(this.nextReap, n.reapAt);
          continue;
        }
        nets.delete(nid);
        if (node === this.self) forgottenLocal.push(nid);
      }
      if (nets.size === 0 && node !== this.self) this.byNode.delete(node);
    }
    return forgottenLocal;
  }

  /** An attachment became leaving, to be forgotten at `reapAt`. */
  noteLeaving(reapAt: number): void {
    this.nextReap = Math.min(this.nextReap, reapAt);
  }

  private attachments(node: string, createMissing: true): Map<string, NetworkAttachment> {
    let nets = this.byNode.get(node);
    if (nets === undefined && createMissing) {
      nets = new Map();
      this.byNode.set(node, nets);
    }
    return nets!;
  }
}
