/**
 * How the layer above (NetworkDB) plugs into memberlist: small interfaces, as
 * memberlist's Delegate and EventDelegate. Every method is called from
 * memberlist's receive or timer paths and must return quickly.
 */
import type { Node } from "./state.js";

/** Hooks into gossip: node metadata, user messages, piggybacked broadcasts, push/pull state. */
export interface Delegate {
  /**
   * Metadata about the local node, sent in its alive messages; at most `limit`
   * (512) bytes. NetworkDB returns an empty array (sent as an empty raw, not nil).
   */
  nodeMeta(limit: number): Uint8Array;
  /**
   * A user message arrived: the bytes after the user type byte of a UDP
   * message (broadcast or sendBestEffort), or the body of a TCP user message
   * (sendReliable). The buffer belongs to the delegate.
   */
  notifyMsg(payload: Uint8Array): void;
  /**
   * Messages to piggyback on a gossip or probe packet. Each returned message
   * costs `overhead` bytes on top of its length, and the total must not exceed
   * `limit`. NetworkDB answers from its own TransmitLimitedQueue.
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[];
  /** State sent with a push/pull (`join` true when the exchange is part of a join). */
  localState(join: boolean): Uint8Array;
  /** The peer's localState from a push/pull; not called when the peer sent none. */
  mergeRemoteState(buf: Uint8Array, join: boolean): void;
}

/** Membership changes, as memberlist's EventDelegate. */
export interface EventDelegate {
  /** A node joined (or came back from dead/left), including the local node when it starts. */
  notifyJoin(node: Node): void;
  /** A node was declared dead, or left. */
  notifyLeave(node: Node): void;
  /** A node's metadata changed. */
  notifyUpdate(node: Node): void;
}

/** Told when an alive message claims a known name from another address (memberlist's ConflictDelegate). */
export interface ConflictDelegate {
  notifyConflict(existing: Node, other: Node): void;
}
