/**
 * The host's routes, which predefined pools must not overlap (a network on
 * 192.168.0.0/20 is useless on a host whose LAN is 192.168.1.0/24).
 *
 * The default IPAM takes routes from an injectable provider. This file's
 * reader runs `ip -j route`, i.e. spawns a process: fine for tests and
 * tools, not for the daemon's attach path, where the caller should pass a
 * netlink-based provider instead. It is only consulted when a pool is
 * requested without --subnet, never per address.
 */
import { execFileSync } from "node:child_process";

/** Returns the destinations of the host's routes as CIDRs. Default routes may be included; they are ignored. */
export type HostRoutesProvider = () => readonly string[];

/** A provider for hosts (and tests) whose routes should not matter. */
export const noHostRoutes: HostRoutesProvider = () => [];

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
export function ipCommandRoutesProvider(options: ReadHostRoutesOptions = {}): HostRoutesProvider {
  return () => readHostRoutes(options);
}
