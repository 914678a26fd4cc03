/**
 * The host's routes read with `ip -j route`, i.e. by spawning a process:
 * fine for tests and tools, not for the daemon's attach path, where the
 * netlink handle's routeList is the reader. Its output feeds the default
 * IPAM's HostRoutesProvider.
 */
import { execFileSync } from "node:child_process";

export interface ReadHostRoutesOptions {
  /** Read the routes of this named network namespace (`ip -n <name>`) instead of the current one. */
  readonly netns?: string;
  /** Path of the `ip` binary; default "ip" from PATH. */
  readonly ipBinary?: string;
}

interface IpRouteJson {
  readonly dst?: unknown;
}

function routesOfFamily(family: "-4" | "-6", options: ReadHostRoutesOptions): string[] {
  const args = [...(options.netns ? ["-n", options.netns] : []), "-j", family, "route", "show"];
  const out = execFileSync(options.ipBinary ?? "ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const parsed: unknown = JSON.parse(out.trim() === "" ? "[]" : out);
  if (!Array.isArray(parsed)) throw new Error(`ip ${args.join(" ")}: expected a JSON array`);
  const result: string[] = [];
  for (const entry of parsed as IpRouteJson[]) {
    const dst = entry?.dst;
    if (typeof dst !== "string" || dst === "default") continue;
    // A host route prints without its /32 or /128.
    result.push(dst.includes("/") ? dst : `${dst}/${family === "-4" ? 32 : 128}`);
  }
  return result;
}

/** Read the main-table routes of both families with `ip -j route`. Throws if `ip` fails. */
export function readHostRoutes(options: ReadHostRoutesOptions = {}): string[] {
  return [...routesOfFamily("-4", options), ...routesOfFamily("-6", options)];
}

/** A HostRoutesProvider reading routes with `ip -j route` on every call. */
export function ipCommandRoutesProvider(options: ReadHostRoutesOptions = {}): () => readonly string[] {
  return () => readHostRoutes(options);
}
