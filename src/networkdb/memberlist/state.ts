/**
 * What memberlist knows about a node: identity, address, metadata, protocol
 * versions, and its state in the SWIM state machine.
 */
import { joinHostPort } from "./address.js";
import { NodeState } from "../wire/index.js";

/**
 * A node's state. "left" is memberlist's "dead, declared by the node itself"
 * (a graceful leave): on the wire of the memberlist revision Docker vendors it
 * is a dead message whose From is the node itself (or empty, as that revision
 * sends it) and push/pull records it as dead.
 */
export type NodeStateKind = "alive" | "suspect" | "dead" | "left";

/** A member of the cluster, as memberlist's Node. Treat it as read-only. */
export interface Node {
  /** The memberlist node name (NetworkDB: the random 12-hex node ID). */
  readonly name: string;
  /** IP address text. */
  readonly addr: string;
  readonly port: number;
  /** Metadata from the node's delegate; null when absent (how Go stores a remote node's empty meta). */
  readonly meta: Uint8Array | null;
  /** Protocol versions the node understands (min, max) and speaks (cur). */
  readonly pMin: number;
  readonly pMax: number;
  readonly pCur: number;
  /** Delegate protocol versions (min, max, cur). */
  readonly dMin: number;
  readonly dMax: number;
  readonly dCur: number;
}

/** "ip:port" of a node, for the transport. */
export function nodeAddress(node: Node): string {
  return joinHostPort(node.addr, node.port);
}

/** A node as the state machine tracks it (internal, mutable). */
export interface NodeRecord {
  node: MutableNode;
  /** The IP as received on the wire, compared byte for byte to detect address conflicts. */
  addrBytes: Uint8Array;
  incarnation: number;
  state: NodeStateKind;
  /** Clock time of the last state change (-Infinity: never, a record that was never alive). */
  stateChange: number;
}

export type MutableNode = { -readonly [K in keyof Node]: Node[K] };

/** A snapshot of a member with its state, for diagnostics and tests. */
export interface MemberInfo {
  node: Node;
  state: NodeStateKind;
  incarnation: number;
  /** Clock time of the last state change. */
  stateChange: number;
}

/** The 6 version bytes memberlist sends as Vsn: pmin, pmax, pcur, dmin, dmax, dcur. */
export function versionBytes(n: Node): Uint8Array {
  return Uint8Array.of(n.pMin, n.pMax, n.pCur, n.dMin, n.dMax, n.dCur);
}

/** The pushNodeState.State value for a state (this memberlist revision has no "left": it is dead). */
export function wireState(state: NodeStateKind): number {
  switch (state) {
    case "alive":
      return NodeState.Alive;
    case "suspect":
      return NodeState.Suspect;
    default:
      return NodeState.Dead;
  }
}

/** True for the states in which a node is out of the cluster. */
export function isDeadOrLeft(state: NodeStateKind): boolean {
  return state === "dead" || state === "left";
}
