// Reference measurement: netavark, exec'd the way podman does it: `netavark --config DIR
// setup|teardown NSPATH` with the network options JSON on stdin. Podman does the IPAM
// itself and passes static IPs; so does this (sandbox i gets host address i+2).
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, runOk, toolEnv } from "./exec.js";
import { measureWith, planRun, type RunPlan, type ToolDriver } from "./harness.js";
import { NETAVARK_BINARY } from "./install.js";
import { hostAddress } from "./ipv4.js";
import { deleteBridge, netnsPath } from "./netns.js";
import type { MeasureOptions, MeasureResult } from "./types.js";

export interface NetavarkOptions extends MeasureOptions {
  /** The netavark binary; defaults to Debian's /usr/lib/podman/netavark. */
  binary?: string;
}

/** Which firewall driver netavark is told to use, and why. */
export type NetavarkFirewall = "nftables" | "iptables";

const hex64 = (s: string): string => createHash("sha256").update(s).digest("hex");

/**
 * netavark gained its nftables driver in 1.10.0; before that NETAVARK_FW=nftables is
 * refused ("nftables support presently not available") and iptables is the only driver
 * that masquerades without firewalld.
 */
export function firewallFor(version: string): NetavarkFirewall {
  const m = /(\d+)\.(\d+)/.exec(version);
  if (!m) return "iptables";
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 1 || (major === 1 && minor >= 10) ? "nftables" : "iptables";
}

export async function netavarkVersion(binary: string = NETAVARK_BINARY): Promise<string> {
  const r = await runOk(binary, ["--version"]);
  return r.stdout.trim().replace(/^netavark\s+/, "");
}

/** The network options (netavark's NetworkOptions JSON) for sandbox i. */
export function netavarkOptions(plan: RunPlan, i: number): object {
  const netName = `${plan.prefix}net`;
  const id = plan.namespaces[i] as string;
  return {
    container_id: hex64(id),
    container_name: id,
    networks: { [netName]: { interface_name: "eth0", static_ips: [hostAddress(plan.subnet, i + 2)] } },
    network_info: {
      [netName]: {
        name: netName,
        id: hex64(netName),
        driver: "bridge",
        network_interface: plan.bridge,
        subnets: [{ subnet: plan.cidr, gateway: plan.gateway }],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
      },
    },
    port_mappings: [],
  };
}

interface StatusBlock {
  interfaces?: Record<string, { subnets?: Array<{ ipnet?: string }> }>;
}

export async function measureNetavark(opts: NetavarkOptions): Promise<MeasureResult> {
  const plan = planRun(opts);
  const binary = opts.binary ?? NETAVARK_BINARY;
  const netName = `${plan.prefix}net`;
  let configDir = "";
  let env: NodeJS.ProcessEnv = {};
  const inputs = plan.namespaces.map((_, i) => JSON.stringify(netavarkOptions(plan, i)));

  const driver: ToolDriver = {
    tool: "netavark",
    // iptables driver: NETAVARK-<hash>, NETAVARK_FORWARD, NETAVARK-HOSTPORT-*;
    // nftables driver: its own table.
    firewall: { chainPrefixes: ["NETAVARK"], tables: ["inet netavark"] },
    async prepare() {
      const fw = firewallFor(await netavarkVersion(binary));
      env = toolEnv({ NETAVARK_FW: fw });
      // --config is where netavark keeps its state (aardvark files, firewall state in newer versions).
      configDir = await mkdtemp(join(tmpdir(), `${plan.prefix}-netavark-`));
    },
    async attach(i) {
      const ns = plan.namespaces[i] as string;
      const r = await run(binary, ["--config", configDir, "setup", netnsPath(ns)], { input: inputs[i] as string, env });
      if (r.code !== 0) throw new Error(`netavark setup for ${ns} exited ${r.code}: ${(r.stderr + r.stdout).trim()}`);
      const status = (JSON.parse(r.stdout) as Record<string, StatusBlock>)[netName];
      const address = status?.interfaces?.["eth0"]?.subnets?.[0]?.ipnet;
      if (address === undefined) throw new Error(`netavark setup for ${ns} reported no address: ${r.stdout.trim()}`);
      return { ms: r.ms, address };
    },
    async detach(i) {
      const ns = plan.namespaces[i] as string;
      const r = await run(binary, ["--config", configDir, "teardown", netnsPath(ns)], { input: inputs[i] as string, env });
      if (r.code !== 0) throw new Error(`netavark teardown for ${ns} exited ${r.code}: ${(r.stderr + r.stdout).trim()}`);
      return r.ms;
    },
    async cleanup() {
      // The last teardown removes the bridge; after a failure it may still be there.
      await deleteBridge(plan.bridge);
      if (configDir !== "") await rm(configDir, { recursive: true, force: true });
    },
  };
  return measureWith(opts, plan, driver);
}
