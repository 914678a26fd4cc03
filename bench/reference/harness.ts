// The measurement both reference tools share: make n namespaces (untimed), attach each in
// turn (timed), check the kernel, detach each (timed), check again, and always clean up.
// A ToolDriver supplies only what differs: the two timed commands and its own leftovers.
import { hostAddress, hostCount, parseSubnet, type Ipv4Subnet } from "./ipv4.js";
import { addNamespaces, defaultGatewayIn, deleteNamespaces, ipv4AddressesIn } from "./netns.js";
import { removeFirewallResidue, snapshotFirewall, type FirewallOwner } from "./firewall-residue.js";
import { readIpForward, writeIpForward } from "./sysctl.js";
import { printProgress, tenthTicker, type ReferenceTool } from "./progress.js";
import { checkPrefix, type AttachedSandbox, type MeasureOptions, type MeasureResult } from "./types.js";

/** What a driver is told about the run it takes part in. */
export interface RunPlan {
  prefix: string;
  subnet: Ipv4Subnet;
  /** The subnet as given, "a.b.c.d/len". */
  cidr: string;
  /** Host address 1 of the subnet. */
  gateway: string;
  /** Namespace names, index i for sandbox i. */
  namespaces: string[];
  /** The bridge every sandbox joins. */
  bridge: string;
}

export interface ToolDriver {
  tool: ReferenceTool;
  /** Which firewall leftovers are the tool's (see firewall-residue.ts). */
  firewall: FirewallOwner;
  /** Untimed preparation (temp dirs, configs); runs inside the cleanup guard. */
  prepare(): Promise<void>;
  /** Attaches sandbox i; returns the tool's wall time and the address it reports ("a.b.c.d/len"). */
  attach(i: number): Promise<{ ms: number; address: string }>;
  /** Detaches sandbox i; returns the tool's wall time. */
  detach(i: number): Promise<number>;
  /** Removes what the tool leaves besides namespaces and firewall rules (bridge, data dirs). */
  cleanup(): Promise<void>;
}

export function planRun(opts: MeasureOptions): RunPlan {
  checkPrefix(opts.prefix);
  if (!Number.isInteger(opts.n) || opts.n < 1) throw new RangeError(`n must be a positive integer: ${opts.n}`);
  const subnet = parseSubnet(opts.subnet);
  // Host 1 is the gateway; sandboxes take hosts 2..n+1.
  if (opts.n + 1 > hostCount(subnet)) throw new RangeError(`${opts.subnet} has no room for ${opts.n} sandboxes and a gateway`);
  return {
    prefix: opts.prefix,
    subnet,
    cidr: opts.subnet,
    gateway: hostAddress(subnet, 1),
    namespaces: Array.from({ length: opts.n }, (_, i) => `${opts.prefix}-${i}`),
    bridge: `${opts.prefix}br`,
  };
}

async function verifyAttached(s: AttachedSandbox): Promise<void> {
  const addrs = await ipv4AddressesIn(s.netns, "eth0");
  if (addrs === null) throw new Error(`${s.netns}: no eth0 after attach`);
  if (!addrs.includes(s.address)) throw new Error(`${s.netns}: eth0 has [${addrs.join(", ")}], expected ${s.address}`);
  const gw = await defaultGatewayIn(s.netns);
  if (gw !== s.gateway) throw new Error(`${s.netns}: default route via ${gw ?? "nothing"}, expected ${s.gateway}`);
}

async function verifyDetached(s: AttachedSandbox): Promise<void> {
  const addrs = await ipv4AddressesIn(s.netns, "eth0");
  if (addrs !== null) throw new Error(`${s.netns}: eth0 still there after detach`);
}

/** Runs the cleanup steps one by one, each even if an earlier one failed; returns the failures. */
async function cleanupAll(steps: Array<[string, () => Promise<unknown>]>): Promise<string[]> {
  const failures: string[] = [];
  for (const [label, step] of steps) {
    try {
      await step();
    } catch (e) {
      failures.push(`${label}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failures;
}

export async function measureWith(opts: MeasureOptions, plan: RunPlan, driver: ToolDriver): Promise<MeasureResult> {
  const emit = opts.onProgress ?? printProgress;
  const n = plan.namespaces.length;
  const firewallBefore = await snapshotFirewall();
  const ipForwardBefore = await readIpForward();
  const attached: AttachedSandbox[] = [];
  const addMs: number[] = [];
  const delMs: number[] = [];
  let succeeded = false;
  try {
    await driver.prepare();
    await addNamespaces(plan.namespaces);

    const addTick = tenthTicker(driver.tool, "add", n, emit);
    for (let i = 0; i < n; i++) {
      const { ms, address } = await driver.attach(i);
      addMs.push(ms);
      attached.push({ netns: plan.namespaces[i] as string, address, gateway: plan.gateway });
      addTick(i + 1);
    }
    // Checking every sandbox would add n more spawns to the run; the ends catch a broken setup.
    for (const s of new Set([attached[0], attached[n - 1]])) if (s) await verifyAttached(s);
    await opts.hooks?.afterAttach?.(attached);

    const delTick = tenthTicker(driver.tool, "del", n, emit);
    for (let i = 0; i < n; i++) {
      delMs.push(await driver.detach(i));
      delTick(i + 1);
    }
    for (const s of new Set([attached[0], attached[n - 1]])) if (s) await verifyDetached(s);
    await opts.hooks?.afterDetach?.(attached);
    succeeded = true;
    return { addMs, delMs };
  } finally {
    const failures = await cleanupAll([
      ["namespaces", () => deleteNamespaces(plan.namespaces)],
      [`${driver.tool} leftovers`, () => driver.cleanup()],
      ["firewall", () => removeFirewallResidue(firewallBefore, driver.firewall)],
      // Both tools set ip_forward=1 and never reset it; put back what this run found.
      ["ip_forward", () => writeIpForward(ipForwardBefore)],
    ]);
    if (failures.length > 0) {
      const msg = `[${driver.tool}] cleanup failed: ${failures.join("; ")}`;
      // Don't hide the error that got us here; do fail a run that otherwise went well.
      if (succeeded) throw new Error(msg);
      console.error(msg);
    }
  }
}
