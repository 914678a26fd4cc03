import { hasErrorCode, NetlinkHandle, netns, type Link } from "./linux/index.js";
import type { Controller } from "./controller/index.js";
import { defaultBridgeName, hostVethName } from "./drivers/bridge/names.js";
import { overlayNamespaceName, overlayNamespacePattern } from "./drivers/overlay/names.js";
import { dummyParentName, dummyParentPattern, isOwnerAlias } from "./drivers/macvlan/names.js";
import { OptionKeys } from "./driverapi/index.js";

/**
 * Kernel objects a controller with this prefix made in an earlier life and no
 * longer knows of (a process killed without teardown, using the in-memory
 * store). Names are matched exactly as the bridge and overlay drivers and
 * the sandbox layer make them, so nothing a user named is touched.
 */
export function orphanNames(prefix: string, links: readonly string[], namespaces: readonly string[]) {
  const idLength = 14 - prefix.length;
  const generated = new RegExp(`^${prefix}[-h][0-9a-f]{${idLength}}$`);
  return {
    namespaces: namespaces.filter((n) => new RegExp(`^${prefix}-[0-9a-f]{12}$`).test(n) || overlayNamespacePattern(prefix).test(n)),
    links: links.filter((l) => generated.test(l)),
  };
}

/**
 * Parent links the macvlan driver made: dummies by their name, 802.1q
 * sub-interfaces (named by the user, "eth0.10") by the alias the driver gave
 * them. A sub-interface without that alias is the user's and is never touched.
 */
export function orphanParentLinks(prefix: string, links: readonly Pick<Link, "name" | "kind" | "alias">[]): string[] {
  const dummy = dummyParentPattern(prefix);
  return links.filter((l) => dummy.test(l.name) || (l.kind === "vlan" && isOwnerAlias(prefix, l.alias))).map((l) => l.name);
}

/** Names of kernel objects still in use, which the sweep must keep. */
export interface KnownNames {
  readonly namespaces: ReadonlySet<string>;
  readonly links: ReadonlySet<string>;
}

/** The names the controller's records account for: sandbox and overlay namespaces, bridges, joined host ends, macvlan parents. */
export function knownNames(prefix: string, c: Controller): KnownNames {
  const namespaces = new Set(c.sandboxes().map((s) => s.sandbox.key.slice(s.sandbox.key.lastIndexOf("/") + 1)));
  const links = new Set<string>();
  for (const n of c.networks()) {
    links.add(defaultBridgeName(prefix, n.id));
    if (n.driver === "overlay") namespaces.add(overlayNamespaceName(prefix, n.id));
    if (n.driver === "macvlan") links.add(n.driverOpts[OptionKeys.macvlanParent] || dummyParentName(prefix, n.id));
    for (const { endpoint } of c.networkEndpoints(n.id)) if (endpoint.sandboxId) links.add(hostVethName(prefix, endpoint.id));
  }
  return { namespaces, links };
}

/** Removes the orphans: namespaces first (their veths go with them), then bridges, stray veths and macvlan parents. */
export function removeOrphans(prefix: string, host: NetlinkHandle, keep?: KnownNames): { namespaces: number; links: number } {
  const hostLinks = host.linkList();
  const all = orphanNames(
    prefix,
    hostLinks.map((l) => l.name),
    netns.list(),
  );
  all.links.push(...orphanParentLinks(prefix, hostLinks));
  const found = {
    namespaces: all.namespaces.filter((n) => !keep?.namespaces.has(n)),
    links: all.links.filter((l) => !keep?.links.has(l)),
  };
  for (const n of found.namespaces) netns.delete(n, { missingOk: true });
  let links = 0;
  for (const name of found.links) {
    try {
      host.linkDel(name);
      links++;
    } catch (err) {
      if (!hasErrorCode(err, "ENODEV")) throw err;
    }
  }
  return { namespaces: found.namespaces.length, links };
}
