// A network segment for macvlan tests: a veth pair whose one end (named with
// the test's prefix) stays in the host namespace as the macvlan parent and
// whose other end, "seg0", sits in a "segment host" namespace with its own
// addresses. Set up with iproute2, independently of the code under test.
import { execFileSync } from "node:child_process";

export interface Segment {
  /** The parent link in the host namespace. */
  readonly parent: string;
  /** The segment host's namespace name. */
  readonly ns: string;
  /** Runs a command in the segment host; true when it exits 0. */
  run(cmd: string[]): boolean;
  /** One ping from the segment host, answered within a second. */
  ping(ip: string): boolean;
  remove(): void;
}

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * `addresses` go on seg0 (CIDR, v4 or v6). With `vlanId`, seg0 carries no
 * address itself: a vlan link "seg0.<id>" on it does, so the segment host
 * answers only tagged frames.
 */
export function makeSegment(prefix: string, tag: string, addresses: readonly string[], vlanId?: number): Segment {
  const parent = `${prefix}${tag}`;
  const ns = `${prefix}-seg-${tag}`;
  ip("netns", "add", ns);
  try {
    ip("link", "add", parent, "type", "veth", "peer", "name", "seg0", "netns", ns);
    ip("link", "set", parent, "up");
    ip("-n", ns, "link", "set", "lo", "up");
    ip("-n", ns, "link", "set", "seg0", "up");
    let dev = "seg0";
    if (vlanId !== undefined) {
      dev = `seg0.${vlanId}`;
      ip("-n", ns, "link", "add", "link", "seg0", "name", dev, "type", "vlan", "id", String(vlanId));
      ip("-n", ns, "link", "set", dev, "up");
    }
    for (const a of addresses) ip("-n", ns, "addr", "add", a, "dev", dev, ...(a.includes(":") ? ["nodad"] : []));
  } catch (err) {
    removeQuietly(parent, ns);
    throw err;
  }
  const run = (cmd: string[]): boolean => {
    try {
      execFileSync("ip", ["netns", "exec", ns, ...cmd], { stdio: "ignore", timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  };
  return {
    parent,
    ns,
    run,
    ping: (target) => run(["ping", "-c", "1", "-W", "1", target]),
    remove: () => removeQuietly(parent, ns),
  };
}

function removeQuietly(parent: string, ns: string): void {
  try {
    ip("netns", "delete", ns);
  } catch {
    // never made
  }
  try {
    ip("link", "delete", parent);
  } catch {
    // went with its peer's namespace
  }
}

/** `ip -j -d link show` of one link in a namespace (or the host's when ns is undefined). */
export function linkDetails(ns: string | undefined, name: string): Record<string, any> | undefined {
  try {
    const out = execFileSync("ip", [...(ns ? ["-n", ns] : []), "-j", "-d", "link", "show", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return (JSON.parse(out) as Record<string, any>[])[0];
  } catch {
    return undefined;
  }
}

/** Whether this kernel can make 802.1q sub-interfaces (CONFIG_VLAN_8021Q). */
export function kernelHasVlan(prefix: string): boolean {
  const probe = `${prefix}vp`;
  try {
    ip("link", "add", probe, "type", "veth", "peer", "name", `${prefix}vq`);
  } catch {
    return false;
  }
  try {
    ip("link", "add", "link", probe, "name", `${probe}.9`, "type", "vlan", "id", "9");
    return true;
  } catch {
    return false;
  } finally {
    ip("link", "delete", probe);
  }
}
