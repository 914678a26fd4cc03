/**
 * The cluster's nodes as NetworkDB sees them (Docker's nodemgmt): active,
 * left (said goodbye with a node LEAVE event) or failed (memberlist declared
 * it dead without a goodbye). Failed nodes are retried (reconnect), and both
 * kinds are forgotten after nodeReapInterval. Moving a node out of active is
 * what drops its network attachments and table entries; the caller does that
 * (ownership.ts) when changeState reports a move.
 */
import type { Node } from "./memberlist/index.js";

export type ClusterNodeState = "active" | "left" | "failed";

export interface ClusterNode {
  /** memberlist's view of the node (name, address, port). */
  node: Node;
  state: ClusterNodeState;
  /** Lamport time (network clock) of the latest node event applied. */
  ltime: number;
  /** Left/failed nodes: clock time at which the node is forgotten (0 while active). */
  reapAt: number;
  /**
   * cnm: an active node back from failed that this node has not yet
   * reconnected itself (push/pull and bulk sync with it), because memberlist
   * gossip revived it first. Its network attachments and entries were
   * dropped when it failed and nothing else brings them back soon (see
   * Maintenance.reconnect).
   */
  resyncPending: boolean;
}

export class ClusterNodes {
  private readonly byName = new Map<string, ClusterNode>();
  /** "addr port" -> names of the nodes known at that address (usually one). */
  private readonly byAddress = new Map<string, Set<string>>();
  private activeCount = 0;

  get(name: string): ClusterNode | undefined {
    return this.byName.get(name);
  }

  /** True when `name` is an active member. */
  isActive(name: string): boolean {
    return this.byName.get(name)?.state === "active";
  }

  /** Number of active nodes (ourselves included): sizes the cluster-wide broadcast queues. */
  get numActive(): number {
    return this.activeCount;
  }

  /** Every known node. */
  all(): ClusterNode[] {
    return [...this.byName.values()];
  }

  /** Active nodes. */
  active(): ClusterNode[] {
    return this.all().filter((n) => n.state === "active");
  }

  /** Nodes in `state`. */
  inState(state: ClusterNodeState): ClusterNode[] {
    return this.all().filter((n) => n.state === state);
  }

  /** Record `node` as a new active member (replacing any record of that name, as Docker does). */
  add(node: Node): ClusterNode {
    const old = this.byName.get(node.name);
    if (old?.state === "active") this.activeCount--;
    if (old !== undefined) this.unindex(old.node);
    const n: ClusterNode = { node, state: "active", ltime: 0, reapAt: 0, resyncPending: false };
    this.byName.set(node.name, n);
    this.index(node);
    this.activeCount++;
    return n;
  }

  /** memberlist has a newer view of a known node (same name): keep it, and the address index right. */
  updateNode(node: Node): void {
    const n = this.byName.get(node.name);
    if (n === undefined) return;
    this.unindex(n.node);
    n.node = node;
    this.index(node);
  }

  private index(node: Node): void {
    const k = addressKey(node);
    let names = this.byAddress.get(k);
    if (names === undefined) {
      names = new Set();
      this.byAddress.set(k, names);
    }
    names.add(node.name);
  }

  private unindex(node: Node): void {
    const k = addressKey(node);
    const names = this.byAddress.get(k);
    if (names === undefined) return;
    names.delete(node.name);
    if (names.size === 0) this.byAddress.delete(k);
  }

  /**
   * Move `name` to `state`. Returns true when it moved, false when it was
   * already there; throws when the node is unknown. `reapAt` is used when
   * the node leaves the active set and has no reap time yet (a failed node
   * that then says goodbye keeps its time).
   */
  changeState(name: string, state: ClusterNodeState, reapAt: number): boolean {
    const n = this.byName.get(name);
    if (n === undefined) throw new Error(`node ${name} not found`);
    if (n.state === state) return false;
    if (n.state === "active") this.activeCount--;
    if (state === "active") {
      this.activeCount++;
      n.reapAt = 0;
    } else {
      // Out of the active set, a failed node is the reconnect task's anyway.
      n.resyncPending = false;
      if (n.reapAt === 0) n.reapAt = reapAt;
    }
    n.state = state;
    return true;
  }

  /**
   * A new node whose address and port are those of another known node
   * under another name is that node restarted: returns the old name (to be
   * moved to left), if any (Docker's purgeReincarnation).
   */
  findReincarnation(node: Node): string | undefined {
    const names = this.byAddress.get(addressKey(node));
    if (names === undefined) return undefined;
    // Docker looks among active nodes first, then failed, then left.
    for (const state of ["active", "failed", "left"] as const) {
      for (const name of names) {
        const n = this.byName.get(name);
        if (n !== undefined && n.state === state && name !== node.name) return name;
      }
    }
    return undefined;
  }

  /** Forget left and failed nodes whose time has come; returns their names. */
  reap(now: number): string[] {
    const gone: string[] = [];
    for (const [name, n] of this.byName) {
      if (n.state !== "active" && n.reapAt <= now) {
        this.byName.delete(name);
        this.unindex(n.node);
        gone.push(name);
      }
    }
    return gone;
  }
}

function addressKey(node: Node): string {
  return `${node.addr} ${node.port}`;
}
