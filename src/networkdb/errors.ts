/**
 * The error NetworkDB's API throws for requests it refuses, with a code a
 * caller can test instead of parsing messages.
 */

export type NetworkDBErrorCode =
  /** createEntry on a key that holds a live entry. */
  | "exists"
  /** updateEntry/deleteEntry on a key without a live entry; leaveNetwork of a network not joined. */
  | "not-found"
  /** A table write in a network this node has not joined (or is leaving). */
  | "not-joined"
  /** A value too large for any message (over the bulk-sync chunk size). */
  | "too-large"
  /** The database was closed. */
  | "closed";

export class NetworkDBError extends Error {
  override readonly name = "NetworkDBError";

  constructor(
    readonly code: NetworkDBErrorCode,
    message: string,
  ) {
    super(message);
  }
}
