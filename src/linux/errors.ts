// Errors raised by the linux layer. Every kernel failure becomes a
// LinuxError naming what was attempted on which object, then the errno text
// and name, e.g. `link add "br-x": File exists (EEXIST)`, so a log line alone
// says what failed, and callers can branch on `code`.
import { native } from "./native.js";

export class LinuxError extends Error {
  /** errno name, e.g. "EEXIST". */
  readonly code: string;
  /** positive errno number. */
  readonly errno: number;
  /** what was attempted, e.g. `link add "br-x"`. */
  readonly operation: string;
  /** the kernel's own explanation (netlink extended ack), when it gave one. */
  readonly kernelMessage: string | undefined;

  constructor(operation: string, errno: number, kernelMessage?: string, cause?: unknown) {
    const [code, text] = describeErrno(errno);
    const detail = kernelMessage ? ` - ${kernelMessage}` : "";
    super(`${operation}: ${text} (${code})${detail}`, cause === undefined ? undefined : { cause });
    this.name = "LinuxError";
    this.code = code;
    this.errno = errno;
    this.operation = operation;
    this.kernelMessage = kernelMessage;
  }
}

/** [name, text] of an errno, from the C library so messages match `ip`'s. */
export function describeErrno(errno: number): [string, string] {
  return native().describeErrno(errno);
}

/** True when `error` carries the errno named `code` (from the addon or netlink). */
export function hasErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}
