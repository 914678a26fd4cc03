// Namespaces and links through iproute2. Only the untimed parts of a measurement use
// these (setup, verification, cleanup), so spawning `ip` here costs nothing that counts.
import { run, runOk } from "./exec.js";

/** Where `ip netns add` mounts a namespace: the path both reference tools take. */
export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** Creates the namespaces with one `ip -batch` run. */
export async function addNamespaces(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await runOk("ip", ["-batch", "-"], { input: names.map((n) => `netns add ${n}\n`).join("") });
}

export async function listNamespaces(): Promise<string[]> {
  const r = await runOk("ip", ["-j", "netns", "list"]);
  if (r.stdout.trim() === "") return [];
  const entries = JSON.parse(r.stdout) as Array<{ name: string }>;
  return entries.map((e) => e.name);
}

/** Deletes those of the given namespaces that exist; never throws for missing ones. */
export async function deleteNamespaces(names: readonly string[]): Promise<void> {
  const present = new Set(await listNamespaces());
  const doomed = names.filter((n) => present.has(n));
  if (doomed.length === 0) return;
  // -force keeps going past a failed line, so one stuck namespace does not strand the rest.
  await run("ip", ["-force", "-batch", "-"], { input: doomed.map((n) => `netns del ${n}\n`).join("") });
}

export async function linkExists(name: string): Promise<boolean> {
  const r = await run("ip", ["link", "show", "dev", name]);
  return r.code === 0;
}

/** Deletes a host link (and, for a bridge, first the ports still enslaved to it). */
export async function deleteBridge(name: string): Promise<void> {
  if (!(await linkExists(name))) return;
  const ports = await run("ip", ["-j", "link", "show", "master", name]);
  if (ports.code === 0 && ports.stdout.trim() !== "") {
    for (const p of JSON.parse(ports.stdout) as Array<{ ifname: string }>) {
      await run("ip", ["link", "del", "dev", p.ifname]);
    }
  }
  await run("ip", ["link", "del", "dev", name]);
}

/**
 * IPv4 addresses ("a.b.c.d/len") on `ifname` inside namespace `ns`,
 * or null when the namespace has no such interface.
 */
export async function ipv4AddressesIn(ns: string, ifname: string): Promise<string[] | null> {
  const r = await run("ip", ["-n", ns, "-j", "-4", "addr", "show", "dev", ifname]);
  if (r.code !== 0) {
    if (/does not exist|Cannot find device/i.test(r.stderr)) return null;
    throw new Error(`ip -n ${ns} addr show dev ${ifname}: ${r.stderr.trim()}`);
  }
  const links = JSON.parse(r.stdout) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
  if (links.length === 0) return null;
  return (links[0]?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

/** The gateway of the IPv4 default route inside `ns`, or null when there is none. */
export async function defaultGatewayIn(ns: string): Promise<string | null> {
  const r = await runOk("ip", ["-n", ns, "-j", "-4", "route", "show", "default"]);
  if (r.stdout.trim() === "") return null;
  const routes = JSON.parse(r.stdout) as Array<{ gateway?: string }>;
  return routes[0]?.gateway ?? null;
}
