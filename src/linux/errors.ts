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
  /** The status an API answers with (read by src/errors.ts's httpStatusOf): see ERRNO_STATUS. */
  readonly apiStatus: number;

  /** `apiStatus`: for a caller that knows better than the errno alone what the failure means (see sysctl). */
  constructor(operation: string, errno: number, kernelMessage?: string, cause?: unknown, apiStatus?: number) {
    const [code, text] = describeErrno(errno);
    const detail = kernelMessage ? ` - ${kernelMessage}` : "";
    super(`${operation}: ${text} (${code})${detail}`, cause === undefined ? undefined : { cause });
    this.name = "LinuxError";
    this.code = code;
    this.errno = errno;
    this.operation = operation;
    this.kernelMessage = kernelMessage;
    this.apiStatus = apiStatus ?? ERRNO_STATUS[code] ?? 500;
  }
}

/**
 * The errnos whose cause is what the caller asked for: a name already taken,
 * an object that is not there, a value the kernel cannot take, a feature this
 * host's kernel lacks. Every other errno is the host's failure: 500.
 * EPERM and EACCES stay 500 too: cnmd runs with the privileges it needs, so
 * such a refusal comes from the host's setup (a seccomp or LSM rule, a
 * read-only /proc), which no caller's credentials would change; 403 would
 * send the caller after rights they cannot be given.
 */
const ERRNO_STATUS: Readonly<Record<string, number>> = {
  EEXIST: 409,
  EBUSY: 409,
  EADDRINUSE: 409,
  ENOENT: 404,
  ENODEV: 404,
  ESRCH: 404,
  EINVAL: 400,
  ERANGE: 400,
  E2BIG: 400,
  ENAMETOOLONG: 400,
  EOPNOTSUPP: 501,
};

/** [name, text] of an errno, from the C library so messages match `ip`'s. */
export function describeErrno(errno: number): [string, string] {
  return native().describeErrno(errno);
}

/** True when `error` carries the errno named `code` (from the addon or netlink). */
export function hasErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code;
}
