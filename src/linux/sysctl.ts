// Kernel parameters under /proc/sys. Those under net/ are per network
// namespace: with `namespace`, the file is opened from inside that namespace
// (by the native addon), which is the only way to reach another namespace's
// values without spawning `ip netns exec`.
import { readFileSync, writeFileSync } from "node:fs";
import { constants } from "node:os";
import { native, isNativeError } from "./native.js";
import { LinuxError } from "./errors.js";

const PROC_SYS = "/proc/sys/";

/** A key: dotted ("net.ipv4.ip_forward"), slashed ("net/ipv4/conf/eth0.100/rp_filter",
 * needed when a component such as an interface name holds a dot), or the path
 * components themselves (["net", "ipv4", "conf", "br-x", "route_localnet"]). */
export type SysctlKey = string | readonly string[];

export interface SysctlOptions {
  /** Path of a network namespace (e.g. netns.path("x")); default: this process's. */
  namespace?: string;
}

/** The /proc/sys path of a key. */
export function sysctlPath(key: SysctlKey): string {
  let parts: readonly string[];
  if (typeof key !== "string") parts = key;
  else if (key.includes("/")) parts = key.replace(/^\/?(proc\/sys\/)?/, "").split("/");
  else parts = key.split(".");
  for (const part of parts) {
    if (part === "" || part === "." || part === ".." || part.includes("/")) {
      throw new TypeError(`invalid sysctl key ${JSON.stringify(key)}`);
    }
  }
  return PROC_SYS + parts.join("/");
}

/** Reads a value, without the trailing newline. */
export function sysctlGet(key: SysctlKey, options: SysctlOptions = {}): string {
  const path = sysctlPath(key);
  const text = io(`sysctl get ${path}`, options.namespace, () =>
    options.namespace === undefined ? readFileSync(path, "utf8") : native().nsReadFile(options.namespace, path),
  );
  return text.replace(/\n$/, "");
}

/** Writes a value. */
export function sysctlSet(key: SysctlKey, value: string | number, options: SysctlOptions = {}): void {
  const path = sysctlPath(key);
  const text = String(value);
  io(`sysctl set ${path}=${text}`, options.namespace, () =>
    options.namespace === undefined ? writeFileSync(path, text) : native().nsWriteFile(options.namespace, path, text),
  );
}

function io<T>(operation: string, namespace: string | undefined, call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (!isNativeError(error)) throw error;
    const where = namespace === undefined ? operation : `${operation} in ${namespace}`;
    return fail(where, error);
  }
}

function fail(operation: string, error: { errno: number }): never {
  // fs errors carry a negative errno (libuv), the addon's a positive one.
  const errno = Math.abs(error.errno);
  // A setting the kernel does not have is a feature this host lacks (IPv6 turned off, a module
  // not loaded), not an object the caller named that is missing: 501, as for EOPNOTSUPP, not 404.
  throw new LinuxError(operation, errno, undefined, error, errno === constants.errno.ENOENT ? 501 : undefined);
}
