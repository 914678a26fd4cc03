import { createHash } from "node:crypto";

/** cnmd's state directory when --data-root is not given. */
export const DEFAULT_DATA_ROOT = "/var/lib/cnm";

/**
 * cnmd's --prefix when none is given: "cnm" for the default data root, "c" +
 * 5 hex digits of the data root's path otherwise, so two daemons on one host
 * get different kernel-object prefixes without being told. Here rather than in
 * daemon/ because whoever starts a cnmd (the testbed) must know which kernel
 * objects it will make, without importing the daemon.
 */
export function defaultPrefix(dataRoot: string): string {
  if (dataRoot === DEFAULT_DATA_ROOT) return "cnm";
  return `c${createHash("sha256").update(dataRoot).digest("hex").slice(0, 5)}`;
}
