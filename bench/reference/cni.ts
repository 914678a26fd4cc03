// Reference measurement: CNI's `bridge` plugin (with `host-local` IPAM), exec'd the way a
// CNI runtime does it: one process per ADD/DEL, config on stdin, parameters in CNI_* env.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run, toolEnv } from "./exec.js";
import { measureWith, planRun, type RunPlan, type ToolDriver } from "./harness.js";
import { CNI_PLUGIN_DIR } from "./install.js";
import { contains } from "./ipv4.js";
import { deleteBridge, netnsPath } from "./netns.js";
import type { MeasureOptions, MeasureResult } from "./types.js";

export interface CniOptions extends MeasureOptions {
  /** CNI plugin directory; defaults to Debian's /usr/lib/cni. */
  pluginDir?: string;
}

/** The network config (CNI spec 1.0.0) every ADD and DEL of a run receives. */
export function cniConfig(plan: RunPlan, dataDir: string): object {
  return {
    cniVersion: "1.0.0",
    name: `${plan.prefix}net`,
    type: "bridge",
    bridge: plan.bridge,
    isGateway: true,
    // isGateway only puts the gateway address on the bridge; isDefaultGateway also installs
    // the default route in the sandbox, which is part of the work being compared.
    isDefaultGateway: true,
    ipMasq: true,
    ipam: { type: "host-local", subnet: plan.cidr, gateway: plan.gateway, dataDir },
  };
}

interface CniAddResult {
  ips?: Array<{ address?: string; interface?: number }>;
}

/** Container IDs must be alphanumeric plus ._- in the CNI spec; the namespace name is. */
const containerId = (plan: RunPlan, i: number): string => plan.namespaces[i] as string;

function cniFailure(cmd: string, ns: string, r: { code: number | null; stdout: string; stderr: string }): Error {
  // A plugin reports its error as JSON on stdout; stderr may add detail.
  return new Error(`CNI ${cmd} for ${ns} exited ${r.code}: ${(r.stdout + r.stderr).trim()}`);
}

export async function measureCni(opts: CniOptions): Promise<MeasureResult> {
  const plan = planRun(opts);
  const pluginDir = opts.pluginDir ?? CNI_PLUGIN_DIR;
  const plugin = join(pluginDir, "bridge");
  let tmp = "";
  let config = "";
  const env = (cmd: "ADD" | "DEL", i: number): NodeJS.ProcessEnv =>
    toolEnv({
      CNI_COMMAND: cmd,
      CNI_CONTAINERID: containerId(plan, i),
      CNI_NETNS: netnsPath(plan.namespaces[i] as string),
      CNI_IFNAME: "eth0",
      CNI_PATH: pluginDir,
    });

  const driver: ToolDriver = {
    tool: "cni",
    // The bridge plugin's masquerade chains are named CNI-<hash>.
    firewall: { chainPrefixes: ["CNI-"] },
    async prepare() {
      // host-local keeps its leases as files; a private dataDir keeps them out of /var/lib/cni.
      tmp = await mkdtemp(join(tmpdir(), `${plan.prefix}-cni-`));
      config = JSON.stringify(cniConfig(plan, join(tmp, "ipam")));
    },
    async attach(i) {
      const ns = plan.namespaces[i] as string;
      const r = await run(plugin, [], { input: config, env: env("ADD", i) });
      if (r.code !== 0) throw cniFailure("ADD", ns, r);
      const result = JSON.parse(r.stdout) as CniAddResult;
      const address = result.ips?.[0]?.address;
      if (address === undefined || !contains(plan.subnet, address.split("/")[0] as string)) {
        throw new Error(`CNI ADD for ${ns} returned no address in ${plan.cidr}: ${r.stdout.trim()}`);
      }
      return { ms: r.ms, address };
    },
    async detach(i) {
      const r = await run(plugin, [], { input: config, env: env("DEL", i) });
      if (r.code !== 0) throw cniFailure("DEL", plan.namespaces[i] as string, r);
      return r.ms;
    },
    async cleanup() {
      // DEL leaves the bridge (the plugin can't know the network is unused); veths went with the namespaces.
      await deleteBridge(plan.bridge);
      if (tmp !== "") await rm(tmp, { recursive: true, force: true });
    },
  };
  return measureWith(opts, plan, driver);
}
