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

/**
 * The HTTP status an embedding program's API may answer each refusal with:
 * all but "closed" are about what the caller named or sent. A plain number,
 * so that networkdb depends on nothing of the program embedding it (cnm's
 * httpStatusOf reads `apiStatus` structurally).
 */
const API_STATUS: Readonly<Record<NetworkDBErrorCode, number>> = {
  exists: 409,
  "not-found": 404,
  "not-joined": 404,
  "too-large": 400,
  closed: 503,
};

export class NetworkDBError extends Error {
  override readonly name = "NetworkDBError";
  readonly apiStatus: number;

  constructor(
    readonly code: NetworkDBErrorCode,
    message: string,
  ) {
    super(message);
    this.apiStatus = API_STATUS[code];
  }
}
