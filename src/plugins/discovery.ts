import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { InvalidParameterError, NotFoundError, NotImplementedError } from "../errors.js";

/** Docker's directory of plugin sockets (pkg/plugins socketsPath). */
export const DOCKER_SOCKETS_DIR = "/run/docker/plugins";
/** Docker's directories of spec files (pkg/plugins specsPaths). */
export const DOCKER_SPECS_DIRS: readonly string[] = ["/etc/docker/plugins", "/usr/lib/docker/plugins"];
/** cnm's own plugin directory, searched first. */
export const CNM_PLUGINS_DIR = "/run/cnm/plugins";
/** Where plugins are looked for when nothing else is said: cnm's directory, then Docker's. */
export const DEFAULT_PLUGIN_DIRS: readonly string[] = [CNM_PLUGINS_DIR, DOCKER_SOCKETS_DIR, ...DOCKER_SPECS_DIRS];

/** Where a plugin listens, as discovery found it. */
export interface PluginAddress {
  readonly name: string;
  /** unix:///path/to.sock or tcp://host:port */
  readonly addr: string;
  /** The file that named it (for messages). */
  readonly foundAt: string;
}

/**
 * Finds a legacy (v1) plugin by name as Docker's local registry does: first
 * a unix socket `<name>.sock` or `<name>/<name>.sock` in any directory, then
 * a spec file `<name>.spec` (one URL line) or `<name>.json` ({"Name","Addr",
 * "TLSConfig"}) at the same two places. Directories are searched in order.
 */
export function findPlugin(name: string, dirs: readonly string[] = DEFAULT_PLUGIN_DIRS): PluginAddress {
  checkPluginName(name);
  for (const dir of dirs) {
    for (const path of candidates(dir, name, ".sock")) {
      if (statOf(path)?.isSocket()) return { name, addr: `unix://${path}`, foundAt: path };
    }
  }
  for (const dir of dirs) {
    for (const ext of [".spec", ".json"]) {
      for (const path of candidates(dir, name, ext)) {
        if (!statOf(path)?.isFile()) continue;
        const addr = ext === ".json" ? readJsonSpec(path) : readTextSpec(path);
        return { name, addr: checkAddr(addr, path), foundAt: path };
      }
    }
  }
  throw new NotFoundError(`plugin "${name}" not found (looked in ${dirs.join(", ")})`);
}

/** A name is one path element: it must not reach outside the plugin directories. */
function checkPluginName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(name) || name.includes("..")) {
    throw new NotFoundError(`plugin "${name}" not found (not a valid plugin name)`);
  }
}

function candidates(dir: string, name: string, ext: string): string[] {
  return [join(dir, name + ext), join(dir, name, name + ext)];
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch (err) {
    // Absent: try the next place. Another failure (EACCES, ELOOP) must not read as "no such plugin".
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

function readTextSpec(path: string): string {
  return readFileSync(path, "utf8").trim();
}

function readJsonSpec(path: string): string {
  let spec: unknown;
  try {
    spec = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new InvalidParameterError(`plugin spec ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof spec !== "object" || spec === null) throw new InvalidParameterError(`plugin spec ${path} is not a JSON object`);
  const { Addr, TLSConfig } = spec as { Addr?: unknown; TLSConfig?: unknown };
  if (typeof Addr !== "string") throw new InvalidParameterError(`plugin spec ${path} has no "Addr" string`);
  // Docker reads TLSConfig (CAFile, CertFile, KeyFile, InsecureSkipVerify); cnm speaks plain HTTP only.
  if (TLSConfig !== undefined && TLSConfig !== null && !isEmptyTls(TLSConfig)) {
    throw new NotImplementedError(`plugin spec ${path} asks for TLS (TLSConfig): cnm does not support TLS plugins`);
  }
  return Addr.trim();
}

/** Docker's own JSON specs often carry a TLSConfig with nothing set; that asks for nothing. */
function isEmptyTls(tls: unknown): boolean {
  if (typeof tls !== "object" || tls === null) return false;
  return Object.values(tls).every((v) => v === "" || v === false || v === null);
}

/** unix:///abs/path or tcp://host:port; Docker answers "Unknown protocol" to a URL without scheme. */
function checkAddr(addr: string, path: string): string {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new InvalidParameterError(`plugin spec ${path}: "${addr}" is not a URL (unix:///path or tcp://host:port)`);
  }
  if (url.protocol === "unix:" && url.pathname.startsWith("/")) return addr;
  if ((url.protocol === "tcp:" || url.protocol === "http:") && url.hostname !== "" && url.port !== "") return addr;
  if (url.protocol === "https:") throw new NotImplementedError(`plugin spec ${path}: ${addr} needs TLS, which cnm does not support`);
  throw new InvalidParameterError(`plugin spec ${path}: unknown protocol in "${addr}" (unix:///path or tcp://host:port)`);
}
