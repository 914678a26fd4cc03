/**
 * The settings of the overlay's links that shape their data path (MTU,
 * txqueuelen, queues, GSO/GRO sizes, vxlan and bridge-port options), as
 * `ip -d -j link show` reports them: compared between cnm's devices and the
 * hand-built ones, so a gap in throughput comes with the differences that
 * may explain it.
 */
import { NETNS_RUN_DIR } from "../../src/linux/netns.js";
import { runChecked } from "../../src/testbed/index.js";

export interface IpLink {
  readonly ifname: string;
  readonly mtu: number;
  readonly master?: string;
  readonly linkinfo?: {
    readonly info_kind?: string;
    readonly info_data?: Readonly<Record<string, unknown>>;
    readonly info_slave_data?: Readonly<Record<string, unknown>>;
  };
  readonly [field: string]: unknown;
}

/** `ip -j <args>` in a namespace, by name or by path (cnm's sandboxes are known by path). */
export async function ipJson<T>(ns: string, args: readonly string[]): Promise<T> {
  const path = ns.startsWith("/") ? ns : `${NETNS_RUN_DIR}/${ns}`;
  const r = await runChecked(["nsenter", `--net=${path}`, "ip", "-j", ...args]);
  return JSON.parse(r.stdout) as T;
}

/** Fields that name or number a link, or say what state it is in, rather than how it forwards. */
const IDENTITY = /^(ifindex|link_index|ifname|flags|master|operstate|address|broadcast|link_netnsid|local|id|no|state|bridge_id|root_id|root_port|root_path_cost|designated_\w+|group_fwd_mask_str|config_pending|topology_change\w*)$|_timer$/;

/** A link's scalar settings, flattened: "mtu", "data.udp_csum", "port.learning". */
function settings(link: IpLink): Map<string, string> {
  const out = new Map<string, string>();
  const add = (prefix: string, fields: Readonly<Record<string, unknown>> | undefined) => {
    for (const [k, v] of Object.entries(fields ?? {})) {
      if (!IDENTITY.test(k) && (typeof v !== "object" || v === null)) out.set(`${prefix}${k}`, String(v));
    }
  };
  add("", link);
  add("data.", link.linkinfo?.info_data);
  add("port.", link.linkinfo?.info_slave_data);
  return out;
}

/** The overlay namespace's vxlan, its bridge and the first veth on that bridge, and the sandbox's veth end. */
async function roles(overlayNs: string, sandboxNs: string): Promise<Record<string, IpLink | undefined>> {
  const links = await ipJson<IpLink[]>(overlayNs, ["-d", "link", "show"]);
  const vxlan = links.find((l) => l.linkinfo?.info_kind === "vxlan");
  const bridge = links.find((l) => l.ifname === vxlan?.master);
  const port = links.find((l) => l.linkinfo?.info_kind === "veth" && l.master !== undefined && l.master === bridge?.ifname);
  const sandbox = (await ipJson<IpLink[]>(sandboxNs, ["-d", "link", "show"])).find((l) => l.linkinfo?.info_kind === "veth");
  return { vxlan, bridge, "bridge-side veth": port, "sandbox eth": sandbox };
}

/**
 * Every data-path setting that differs between cnm's links and the
 * hand-built ones, "vxlan data.udp_csum: cnm true, kernel false"; empty when
 * they match.
 */
export async function linkDifferences(cnm: { overlay: string; sandbox: string }, kernel: { overlay: string; sandbox: string }): Promise<string[]> {
  const [a, b] = await Promise.all([roles(cnm.overlay, cnm.sandbox), roles(kernel.overlay, kernel.sandbox)]);
  const out: string[] = [];
  for (const role of Object.keys(a)) {
    const [x, y] = [a[role], b[role]];
    if (!x || !y) {
      out.push(`${role}: ${x ? "" : "none in cnm's"}${!x && !y ? ", " : ""}${y ? "" : "none in the kernel topology"}`);
      continue;
    }
    const [sx, sy] = [settings(x), settings(y)];
    for (const key of new Set([...sx.keys(), ...sy.keys()])) {
      if (sx.get(key) !== sy.get(key)) out.push(`${role} ${key}: cnm ${sx.get(key) ?? "-"}, kernel ${sy.get(key) ?? "-"}`);
    }
  }
  return out;
}
