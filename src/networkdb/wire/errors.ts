/**
 * The one error type the wire layer throws for bad input.
 *
 * Every decoder in src/networkdb/wire/ turns malformed, truncated, oversized or
 * unauthenticated input into a WireError, so callers (the packet listener, the
 * stream handler) can drop the datagram or close the connection with a single
 * `instanceof` check and never confuse a peer's garbage with a local bug.
 */

/** Why a decode (or, rarely, an encode) failed. */
export type WireErrorCode =
  /** The input ended before the structure it announced was complete. */
  | "truncated"
  /** The bytes do not form a valid structure (bad type byte, bad msgpack, bad protobuf ...). */
  | "malformed"
  /** A CRC-32 in a hasCrc header does not match the bytes it covers. */
  | "checksum"
  /** The input would expand (or announces a length) beyond the configured cap. */
  | "too-large"
  /** A compress message names an algorithm other than LZW (0). */
  | "unsupported"
  /** No installed key authenticates the ciphertext, or the encryption header is invalid. */
  | "decrypt"
  /** A value given to an encoder cannot be represented on the wire. */
  | "invalid-value";

export class WireError extends Error {
  override readonly name = "WireError";
  readonly code: WireErrorCode;
  /**
   * 400 for an embedding program's API (read structurally by cnm's
   * httpStatusOf): bytes from peers are decoded by the listeners, which catch
   * WireError and drop them, so one that reaches a caller is about the bytes
   * or the value that caller handed in.
   */
  readonly apiStatus = 400;

  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Type guard for WireError, handy in catch blocks. */
export function isWireError(err: unknown): err is WireError {
  return err instanceof WireError;
}
