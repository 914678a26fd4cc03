// Typed access to the cnm_native addon (native/*.c, built by node-gyp into
// build/Release/cnm_native.node). The addon only does what Node cannot:
// netlink sockets, setns/unshare and bind mounts. Loaded lazily so that merely
// importing this package never fails on a machine where it is not built.
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Opaque token returned by `subscribe`, passed back to `unsubscribe`. */
export interface NativeSubscriptionHandle {
  readonly __brand: "NativeSubscriptionHandle";
}

/** The functions exported by native/*.c. Every failure throws an Error whose
 * `code` is the errno name (e.g. "ENOENT") and whose `errno` is its number. */
export interface NativeAddon {
  /** Opens a bound netlink socket of `protocol`, inside the namespace at
   * `nsPath` when given (the calling thread returns to its own namespace). */
  socketOpen(protocol: number, nsPath: string | null, groups: number[], rcvbufBytes: number, timeoutMs: number): number;
  socketSend(fd: number, message: Buffer): number;
  /** One datagram; throws ETIMEDOUT when the receive timeout expires. */
  socketRecv(fd: number): Buffer;
  socketClose(fd: number): void;
  /** Opens a non-blocking IP socket (UDP, or TCP when `stream`) inside the
   * namespace at `nsPath` (null: here), bound to `address`:`port` when either
   * is given (null and 0: unbound), listening when `backlog` > 0. The fd stays
   * in that namespace; hand it to Node's dgram/net. */
  inetSocketOpen(
    nsPath: string | null,
    family: 4 | 6,
    stream: boolean,
    address: string | null,
    port: number,
    backlog: number,
  ): number;
  /** Creates a namespace pinned by a bind mount on `path` (EEXIST if present). */
  netnsCreate(path: string): void;
  /** Unmounts and unlinks `path` (ENOENT if absent). */
  netnsDelete(path: string): void;
  nsWriteFile(nsPath: string | null, path: string, text: string): void;
  nsReadFile(nsPath: string | null, path: string): string;
  /** Starts a reader thread on `fd`; `callback` gets each datagram. */
  subscribe(
    fd: number,
    callback: (error: Error | null, datagram: Buffer | null) => void,
    keepAlive: boolean,
  ): NativeSubscriptionHandle;
  unsubscribe(handle: NativeSubscriptionHandle): void;
  /** [errno name, strerror text] for a positive errno. */
  describeErrno(errno: number): [string, string];
}

/** Error thrown by the addon: a plain Error with the errno attached. */
export interface NativeError extends Error {
  code: string;
  errno: number;
}

export function isNativeError(error: unknown): error is NativeError {
  return error instanceof Error && typeof (error as Partial<NativeError>).errno === "number";
}

const ADDON_RELATIVE_PATH = join("build", "Release", "cnm_native.node");
let addon: NativeAddon | undefined;

/** The package root is the nearest ancestor holding package.json: the same
 * code runs from src/ (tests through a loader) and from dist/src/. */
function addonPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return join(dir, ADDON_RELATIVE_PATH);
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cnm_native: package root not found above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** Loads the addon on first use. */
export function native(): NativeAddon {
  if (addon === undefined) {
    const path = addonPath();
    if (!existsSync(path)) {
      throw new Error(`cnm_native addon not built (${path} missing): run "npm install" or "npm run install"`);
    }
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  }
  return addon;
}
