// Named network namespaces, compatible with `ip netns`: a namespace named N is
// kept alive by a bind mount of its nsfs inode on /run/netns/N, so `ip netns
// list/exec` see ours and we see theirs.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { native, isNativeError } from "./native.js";
import { LinuxError } from "./errors.js";

export const NETNS_RUN_DIR = "/run/netns";

/**
 * The network namespace of the process that opens this path: for the daemon,
 * the host's. (/proc/1/ns/net would name PID 1's, which a sandboxed daemon may
 * not open, and which is not the daemon's own in a testbed host.)
 */
export const OWN_NETNS_PATH = "/proc/self/ns/net";

function checkName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new TypeError(`invalid network namespace name "${name}"`);
  }
}

function nativeCall(operation: string, call: () => void): void {
  try {
    call();
  } catch (error) {
    throw isNativeError(error) ? new LinuxError(operation, error.errno, undefined, error) : error;
  }
}

/** Named network namespaces under NETNS_RUN_DIR. */
export const netns = {
  /** The path of the namespace named `name` (whether or not it exists). */
  path(name: string): string {
    checkName(name);
    return join(NETNS_RUN_DIR, name);
  },

  /** Creates the namespace and returns its path. Throws EEXIST (leaving the
   * existing one untouched) when the name is taken. The namespace starts with
   * only `lo`, down. The calling thread stays in its own namespace. */
  create(name: string): string {
    const path = netns.path(name);
    nativeCall(`netns create "${name}"`, () => native().netnsCreate(path));
    return path;
  },

  /** Deletes the namespace. Interfaces in it are destroyed once nothing else
   * (a process, an open socket) holds it. Throws ENOENT when absent, unless
   * `missingOk`, which makes repeated cleanup safe. */
  delete(name: string, options: { missingOk?: boolean } = {}): void {
    const path = netns.path(name);
    try {
      nativeCall(`netns delete "${name}"`, () => native().netnsDelete(path));
    } catch (error) {
      if (options.missingOk && error instanceof LinuxError && error.code === "ENOENT") return;
      throw error;
    }
  },

  exists(name: string): boolean {
    return existsSync(netns.path(name));
  },

  /** Names of the namespaces under NETNS_RUN_DIR, sorted. */
  list(): string[] {
    if (!existsSync(NETNS_RUN_DIR)) return [];
    return readdirSync(NETNS_RUN_DIR).sort();
  },
};
