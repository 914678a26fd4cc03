/**
 * The testbed's physical network: a Linux bridge inside a namespace of its
 * own, and "machines" (namespaces) plugged into it through veth pairs, each
 * with one address of 198.51.100.0/24 on its eth0.
 *
 * Every link is created directly inside its namespace (never in the caller's),
 * and the bridge is a separate L2 domain per testbed: several testbeds on one
 * machine can all use the same addresses without meeting, and no link name
 * can clash with anything outside.
 */
import { runChecked } from "./process-run.js";

/** The underlay's IPv4 network (documentation range, TEST-NET-2). */
export const UNDERLAY_SUBNET = "198.51.100.0/24";
export const UNDERLAY_MTU = 1500;
const PREFIX_LENGTH = 24;

/** The bridge's name inside the underlay namespace. */
const BRIDGE = "br0";

/** ip commands, one a line, run by one `ip -n <netns> -batch -`. */
async function ipBatch(netns: string, lines: readonly string[]): Promise<void> {
  await runChecked(["ip", "-n", netns, "-batch", "-"], { input: `${lines.join("\n")}\n` });
}

export async function createNamespace(name: string): Promise<void> {
  await runChecked(["ip", "netns", "add", name]);
  await ipBatch(name, ["link set lo up"]);
}

/** Deletes a namespace; a missing one is no error (cleanup runs after partial starts). */
export async function deleteNamespace(name: string): Promise<void> {
  const result = await runChecked(["ip", "netns", "delete", name]).catch((err: Error) => err);
  if (result instanceof Error && !/No such file|Cannot remove namespace file/.test(result.message)) throw result;
}

/** Makes the underlay: its namespace and the bridge in it, up. */
export async function createUnderlay(netns: string): Promise<void> {
  await createNamespace(netns);
  await ipBatch(netns, [
    `link add ${BRIDGE} mtu ${UNDERLAY_MTU} type bridge`,
    `link set ${BRIDGE} up`,
  ]);
}

export interface Attachment {
  /** The machine's namespace (created here). */
  readonly netns: string;
  /** Port name on the bridge side, unique in the underlay (e.g. "h1", "etcd"). */
  readonly port: string;
  /** Dotted IPv4 address in UNDERLAY_SUBNET. */
  readonly address: string;
}

/** Creates a machine's namespace and plugs it into the underlay: eth0 with its address, up. */
export async function attachToUnderlay(underlay: string, a: Attachment): Promise<void> {
  await createNamespace(a.netns);
  await ipBatch(underlay, [
    `link add ${a.port} mtu ${UNDERLAY_MTU} type veth peer name eth0 mtu ${UNDERLAY_MTU} netns ${a.netns}`,
    `link set ${a.port} master ${BRIDGE}`,
    `link set ${a.port} up`,
  ]);
  await ipBatch(a.netns, [`addr add ${a.address}/${PREFIX_LENGTH} dev eth0`, "link set eth0 up"]);
}

/** The address of the n-th machine of a kind: 198.51.100.<n>. */
export function underlayAddress(lastOctet: number): string {
  if (!Number.isInteger(lastOctet) || lastOctet < 1 || lastOctet > 254) throw new RangeError(`no underlay address .${lastOctet}`);
  return `198.51.100.${lastOctet}`;
}
