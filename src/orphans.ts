import { hasErrorCode, NetlinkHandle, netns } from "./linux/index.js";

/**
 * Kernel objects a controller with this prefix made in an earlier life and no
 * longer knows of (a process killed without teardown, using the in-memory
 * store). Names are matched exactly as the bridge driver and the sandbox
 * layer make them, so nothing a user named is touched.
 */
export function orphanNames(prefix: string, links: readonly string[], namespaces: readonly string[]) {
  const idLength = 14 - prefix.length;
  const generated = new RegExp(`^${prefix}[-h][0-9a-f]{${idLength}}$`);
  return {
    namespaces: namespaces.filter((n) => new RegExp(`^${prefix}-[0-9a-f]{12}$`).test(n)),
    links: links.filter((l) => generated.test(l)),
  };
}

/** Removes the orphans: namespaces first (their veths go with them), then bridges and stray veths. */
export function removeOrphans(prefix: string, host: NetlinkHandle): { namespaces: number; links: number } {
  const found = orphanNames(
    prefix,
    host.linkList().map((l) => l.name),
    netns.list(),
  );
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
