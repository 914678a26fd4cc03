/**
 * What of a testbed is still on the machine: the check a test or benchmark
 * runs after close(), and close() itself runs for the namespaces.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { NETNS_RUN_DIR } from "../linux/netns.js";

export interface TestbedFootprint {
  /** Prefix of the testbed's own namespaces (<prefix>-u, -e, -h1...). */
  readonly prefix: string;
  /** Prefixes of the hosts' cnmds (their sandboxes, links, nftables tables). */
  readonly cnmdPrefixes: readonly string[];
  /** nsfs inode numbers of the testbed's namespaces, as they were while they existed. */
  readonly netnsInodes: readonly number[];
  /** The testbed's temporary directory. */
  readonly dir: string;
}

export interface Leftovers {
  readonly namespaces: string[];
  /** "pid cmdline" of processes still in one of the testbed's namespaces or running from its directory. */
  readonly processes: string[];
  /** Links in this (the caller's) namespace named with one of the prefixes. */
  readonly links: string[];
  /** nftables tables in this namespace named with a cnmd prefix. */
  readonly nftTables: string[];
  readonly dirs: string[];
}

export function namespacesOf(f: Pick<TestbedFootprint, "prefix" | "cnmdPrefixes">): string[] {
  if (!existsSync(NETNS_RUN_DIR)) return [];
  const prefixes = [f.prefix, ...f.cnmdPrefixes].map((p) => `${p}-`);
  return readdirSync(NETNS_RUN_DIR).filter((n) => prefixes.some((p) => n.startsWith(p)));
}

function processesOf(f: TestbedFootprint): string[] {
  const inodes = new Set(f.netnsInodes.map((i) => `net:[${i}]`));
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const ns = readlinkSync(`/proc/${pid}/ns/net`);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      if (inodes.has(ns) || cmdline.includes(f.dir)) found.push(`${pid} ${cmdline}`);
    } catch (err) {
      // Gone meanwhile (ENOENT, ESRCH), or a process root may not inspect (EACCES, EPERM: a
      // sandboxed machine's own PID 1), which no testbed starts. Anything else would make
      // this check blind, so it is thrown.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ESRCH" && code !== "EACCES" && code !== "EPERM") throw err;
    }
  }
  return found;
}

function linksOf(prefixes: readonly string[]): string[] {
  const links = JSON.parse(execFileSync("ip", ["-j", "link", "show"], { encoding: "utf8" })) as { ifname: string }[];
  return links.map((l) => l.ifname).filter((n) => prefixes.some((p) => n.startsWith(p)));
}

function nftTablesOf(prefixes: readonly string[]): string[] {
  return execFileSync("nft", ["list", "tables"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.replace(/^table /, "").trim())
    .filter((t) => prefixes.some((p) => (t.split(" ")[1] ?? "").startsWith(p)));
}

export function leftoversOf(f: TestbedFootprint): Leftovers {
  return {
    namespaces: namespacesOf(f),
    processes: processesOf(f),
    links: linksOf([f.prefix, ...f.cnmdPrefixes]),
    nftTables: nftTablesOf(f.cnmdPrefixes),
    dirs: existsSync(f.dir) ? [f.dir] : [],
  };
}

export function isClean(l: Leftovers): boolean {
  return Object.values(l).every((list: string[]) => list.length === 0);
}
