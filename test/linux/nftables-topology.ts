// Test topology for the firewall, built with the `ip` command: a namespace
// standing for the host (so IP forwarding and `nft flush ruleset` stay out of
// the real host), bridges in it, "container" namespaces on veths, and an
// "outside" namespace reached through a routed link. Every name carries the
// test's unique prefix; destroy() removes the namespaces (which takes their
// links and nftables tables with them) and kills the helper processes.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const NETPROBE = fileURLToPath(new URL("./nftables-netprobe.js", import.meta.url));

/** Runs a command synchronously; throws with its stderr. */
export function run(cmd: string, ...args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")}: ${err.stderr?.trim() || err.message}`);
  }
}

/** A short unique prefix: "t" + 4 hex characters. */
export function uniquePrefix(): string {
  return `t${randomBytes(2).toString("hex")}`;
}

export interface Attachment {
  /** Container namespace name. */
  ns: string;
  /** Host-side veth name (a bridge port). */
  hostIf: string;
}

export class Topology {
  readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(readonly prefix: string) {}

  /** Full name of a namespace / interface: prefix + suffix (keep it under 15 chars). */
  name(suffix: string): string {
    return `${this.prefix}${suffix}`;
  }

  addNamespace(suffix: string): string {
    const ns = this.name(suffix);
    run("ip", "netns", "add", ns);
    this.namespaces.push(ns);
    run("ip", "-n", ns, "link", "set", "lo", "up");
    return ns;
  }

  /** Sets sysctls inside a namespace ("net.ipv4.ip_forward=1", ...). */
  sysctl(ns: string, ...settings: string[]): void {
    for (const s of settings) run("ip", "netns", "exec", ns, "sysctl", "-qw", s);
  }

  addBridge(hostNs: string, suffix: string, addrs: string[]): string {
    const br = this.name(suffix);
    run("ip", "-n", hostNs, "link", "add", br, "type", "bridge");
    for (const a of addrs) run("ip", "-n", hostNs, "addr", "add", a, "dev", br, ...(a.includes(":") ? ["nodad"] : []));
    run("ip", "-n", hostNs, "link", "set", br, "up");
    return br;
  }

  /**
   * A container namespace on a bridge: veth created directly across the two
   * namespaces (nothing ever appears in the real host's namespace), eth0
   * addressed, default routes via the gateways.
   */
  addContainer(hostNs: string, bridge: string, suffix: string, addrs: string[], gateways: string[]): Attachment {
    const ns = this.addNamespace(suffix);
    const hostIf = this.name(`v${suffix}`);
    run("ip", "-n", hostNs, "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", ns);
    run("ip", "-n", hostNs, "link", "set", hostIf, "master", bridge, "up");
    for (const a of addrs) run("ip", "-n", ns, "addr", "add", a, "dev", "eth0", ...(a.includes(":") ? ["nodad"] : []));
    run("ip", "-n", ns, "link", "set", "eth0", "up");
    for (const gw of gateways) run("ip", "-n", ns, ...(gw.includes(":") ? ["-6"] : []), "route", "add", "default", "via", gw);
    return { ns, hostIf };
  }

  /** A routed point-to-point link host <-> other namespace, addresses on both ends. */
  addLink(hostNs: string, suffix: string, otherNs: string, hostAddrs: string[], otherAddrs: string[]): string {
    const hostIf = this.name(suffix);
    run("ip", "-n", hostNs, "link", "add", hostIf, "type", "veth", "peer", "name", "eth0", "netns", otherNs);
    for (const a of hostAddrs) run("ip", "-n", hostNs, "addr", "add", a, "dev", hostIf, ...(a.includes(":") ? ["nodad"] : []));
    for (const a of otherAddrs) run("ip", "-n", otherNs, "addr", "add", a, "dev", "eth0", ...(a.includes(":") ? ["nodad"] : []));
    run("ip", "-n", hostNs, "link", "set", hostIf, "up");
    run("ip", "-n", otherNs, "link", "set", "eth0", "up");
    return hostIf;
  }

  /** Starts the netprobe server (TCP+UDP, dual stack) on `port` in `ns`; resolves when listening. */
  serve(ns: string, port: number): Promise<void> {
    const child = spawn("ip", ["netns", "exec", ns, process.execPath, NETPROBE, "serve", String(port)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.children.push(child);
    return new Promise((resolve, reject) => {
      const rl = createInterface({ input: child.stdout! });
      rl.on("line", (line) => line === "ready" && resolve());
      child.once("exit", (code) => reject(new Error(`netprobe server in ${ns} exited with ${String(code)}`)));
    });
  }

  /**
   * Connects from `ns` (TCP) or sends a datagram (UDP); resolves with the
   * peer address the server saw, or null when nothing came back in time.
   */
  probe(ns: string, proto: "tcp" | "udp", host: string, port: number, timeoutMs = 1000): Promise<string | null> {
    return new Promise((resolve) => {
      execFile(
        "ip",
        ["netns", "exec", ns, process.execPath, NETPROBE, proto, host, String(port), String(timeoutMs)],
        { encoding: "utf8" },
        (err, stdout) => {
          const m = /^peer=(.*)$/m.exec(stdout);
          resolve(!err && m ? m[1]! : null);
        },
      );
    });
  }

  /** Kills helper processes and deletes every namespace created (with their links and tables). */
  async destroy(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once("exit", () => resolve());
            c.kill("SIGTERM");
          }),
      ),
    );
    for (const ns of this.namespaces.reverse()) {
      try {
        run("ip", "netns", "del", ns);
      } catch {
        // already gone
      }
    }
    this.namespaces.length = 0;
  }
}

/** `nft -j list ruleset` in a namespace (or the caller's), without the volatile metainfo. */
export function listRuleset(ns?: string): unknown[] {
  const out = ns ? run("ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset") : run("nft", "-j", "list", "ruleset");
  const doc = JSON.parse(out) as { nftables: Record<string, unknown>[] };
  return doc.nftables.filter((o) => !("metainfo" in o));
}

/** `nft list table <family> <name>` text in a namespace, or null if missing. */
export function listTable(ns: string | undefined, family: string, name: string): string | null {
  try {
    return ns ? run("ip", "netns", "exec", ns, "nft", "list", "table", family, name) : run("nft", "list", "table", family, name);
  } catch {
    return null;
  }
}

/** Polls `check` every 25 ms until it returns true or `timeoutMs` passes; resolves with the elapsed ms or null. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<number | null> {
  const start = Date.now();
  for (;;) {
    if (check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) return null;
    await new Promise((r) => setTimeout(r, 25));
  }
}
