// Makes sure the reference tools are on this machine, installing Debian's packages if not.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec.js";

/** Where Debian's containernetworking-plugins puts the CNI plugins. */
export const CNI_PLUGIN_DIR = "/usr/lib/cni";
/** Where Debian's netavark package puts the binary. */
export const NETAVARK_BINARY = "/usr/lib/podman/netavark";

export interface ReferenceTools {
  /** CNI plugin directory (holds `bridge` and `host-local`); the CNI_PATH for the plugins. */
  cni: string;
  /** The netavark binary. */
  netavark: string;
}

function onPath(cmd: string): boolean {
  const dirs = (process.env["PATH"] ?? "").split(":").concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
  return dirs.some((d) => d !== "" && existsSync(join(d, cmd)));
}

/** Debian packages still missing for the reference side, in install order. */
export function missingPackages(): string[] {
  const missing: string[] = [];
  if (!existsSync(join(CNI_PLUGIN_DIR, "bridge")) || !existsSync(join(CNI_PLUGIN_DIR, "host-local"))) {
    missing.push("containernetworking-plugins");
  }
  if (!existsSync(NETAVARK_BINARY)) missing.push("netavark");
  // Both tools shell out to iptables (iptables-nft on Debian 12); cleanup reads nftables with nft.
  if (!onPath("iptables")) missing.push("iptables");
  if (!onPath("nft")) missing.push("nftables");
  return missing;
}

async function aptInstall(packages: string[]): Promise<{ ok: boolean; output: string }> {
  // Lock::Timeout waits for another apt run (others share this machine) instead of failing at once.
  const r = await run("apt-get", ["install", "-y", "-o", "DPkg::Lock::Timeout=300", ...packages], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

/**
 * Returns the reference tools' locations, first installing any missing package with
 * `apt-get install -y` (and `apt-get update` then a retry, only when the package lists
 * lack them). Throws when they still cannot be had.
 */
export async function ensureReferenceTools(log: (line: string) => void = console.log): Promise<ReferenceTools> {
  const missing = missingPackages();
  if (missing.length > 0) {
    log(`[reference] installing ${missing.join(" ")} ...`);
    let r = await aptInstall(missing);
    if (!r.ok && /Unable to locate package|has no installation candidate|not available/i.test(r.output)) {
      log("[reference] package lists lack them: apt-get update ...");
      await run("apt-get", ["update", "-o", "DPkg::Lock::Timeout=300"]);
      r = await aptInstall(missing);
    }
    if (!r.ok) throw new Error(`apt-get install ${missing.join(" ")} failed:\n${r.output.trim().split("\n").slice(-10).join("\n")}`);
    const still = missingPackages();
    if (still.length > 0) throw new Error(`still missing after install: ${still.join(" ")}`);
    log("[reference] installed");
  }
  return { cni: CNI_PLUGIN_DIR, netavark: NETAVARK_BINARY };
}

/** The installed version of a Debian package, or null when it is not installed. */
export async function packageVersion(pkg: string): Promise<string | null> {
  const r = await run("dpkg-query", ["-W", "-f", "${Version}", pkg]);
  return r.code === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : null;
}
