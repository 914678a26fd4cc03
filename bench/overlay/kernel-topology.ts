/**
 * The fair baseline for the overlay's throughput: libnetwork's overlay
 * topology as cnm's overlay driver builds it (src/drivers/overlay/
 * overlay-sandbox.ts), made by hand with iproute2 on two hosts of the same
 * underlay, with no cnm code and no cnmd near its data path.
 *
 * Why this and not only the bare underlay: every overlay packet also crosses
 * a veth, a bridge and a VXLAN encapsulation (50 more bytes, a smaller MTU),
 * so the underlay is a ceiling no overlay reaches. This topology pays exactly
 * those costs and nothing else: its throughput is the kernel's own ceiling
 * for this design on this machine, and cnm's overlay divided by it is what
 * cnm itself costs (its device options, anything its daemons put on the
 * path); 1.0 means nothing.
 *
 * Per host, as cnm builds it:
 *   <p>-hN   the host: eth0 on the testbed's underlay bridge, plugged in as
 *            the testbed plugs in its own hosts (src/testbed/underlay.ts)
 *   <p>-ovN  the overlay namespace (libnetwork's "1-<nid>", cnm's
 *            "<prefix>-ov-<nid>"): a bridge br-<vni> with the subnet's gateway
 *            address, and vx-<vni> on it, created from the host namespace
 *            (so its UDP socket is in the underlay) with cnm's VNI, UDP port
 *            and MTU, learning off, ARP proxy on, no IPv6 link-local
 *   <p>-sN   the sandbox: IPv6 off by default (as cnm's sandboxes), eth0 with
 *            Docker's MAC for its address, the veth's other end on the bridge
 * and, for the other host's endpoint, the permanent neighbour entry and the
 * static FDB entry that cnm's gossip programs.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { NETNS_RUN_DIR } from "../../src/linux/netns.js";
import { runChecked, runCommand } from "../../src/testbed/index.js";
import { attachToUnderlay, createNamespace, deleteNamespace } from "../../src/testbed/underlay.js";
import { ipJson, type IpLink } from "./link-settings.js";

/** What the hand-built copy takes from the overlay cnm built. */
export interface OverlayShape {
  readonly vni: number;
  readonly port: number;
  readonly mtu: number;
  /** The bridge's address with the subnet's length, "10.77.0.1/16". */
  readonly gateway: string;
}

/** Reads the VNI, port and MTU of cnm's vxlan and the address of its bridge, in cnm's overlay namespace. */
export async function overlayShapeOf(overlayNs: string): Promise<OverlayShape> {
  const links = await ipJson<IpLink[]>(overlayNs, ["-d", "link", "show"]);
  const vxlan = links.find((l) => l.linkinfo?.info_kind === "vxlan");
  const data = vxlan?.linkinfo?.info_data;
  if (!vxlan || typeof data?.id !== "number" || typeof data.port !== "number") throw new Error(`no vxlan device with an id and a port in ${overlayNs}`);
  if (!vxlan.master) throw new Error(`${vxlan.ifname} in ${overlayNs} is on no bridge`);
  const [bridge] = await ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>(overlayNs, ["addr", "show", "dev", vxlan.master]);
  const v4 = bridge?.addr_info.find((a) => a.family === "inet");
  if (!v4) throw new Error(`bridge ${vxlan.master} in ${overlayNs} has no IPv4 address`);
  return { vni: data.id, port: data.port, mtu: vxlan.mtu, gateway: `${v4.local}/${v4.prefixlen}` };
}

/** Docker's MAC for an IPv4 endpoint, as cnm's overlay driver gives it: 02:42 and the address's four bytes. */
function dockerMac(ip: string): string {
  return ["02", "42", ...ip.split(".").map((b) => Number(b).toString(16).padStart(2, "0"))].join(":");
}

export interface KernelTopologyOptions {
  /** The testbed's underlay namespace, whose bridge (br0) the two hosts are plugged into. */
  readonly underlayNetns: string;
  /** Underlay addresses of the two hand-built hosts, free on that underlay. */
  readonly hostAddresses: readonly [string, string];
  /** The sandboxes' addresses, in the overlay's subnet: [client, server]. */
  readonly sandboxAddresses: readonly [string, string];
  readonly shape: OverlayShape;
}

interface HandBuiltHost {
  readonly host: string;
  readonly overlay: string;
  readonly sandbox: string;
  readonly address: string;
  readonly ip: string;
  readonly mac: string;
}

/**
 * Names chosen at construction (nothing made yet), so that whoever holds the
 * object can remove() it whatever happened meanwhile: pass, fail, or an
 * interrupt half-way through build().
 */
export class KernelTopology {
  /** "kt" + 4 hex digits: the first part of every namespace and underlay port this makes. */
  readonly prefix: string;
  private readonly hosts: readonly [HandBuiltHost, HandBuiltHost];
  /** The vxlan's name in each overlay namespace, "vx-<vni>" as cnm's. */
  private readonly vxlan: string;
  /** The names of the namespaces made so far, for remove(). */
  private readonly made: string[] = [];
  private building: Promise<void> | undefined;
  private removing: Promise<void> | undefined;

  constructor(private readonly o: KernelTopologyOptions) {
    this.prefix = freshPrefix(o.underlayNetns);
    this.hosts = [0, 1].map((i) => ({
      host: `${this.prefix}-h${i + 1}`,
      overlay: `${this.prefix}-ov${i + 1}`,
      sandbox: `${this.prefix}-s${i + 1}`,
      address: o.hostAddresses[i]!,
      ip: o.sandboxAddresses[i]!,
      mac: dockerMac(o.sandboxAddresses[i]!),
    })) as [HandBuiltHost, HandBuiltHost];
    this.vxlan = `vx-${o.shape.vni}`;
  }

  /** The overlay namespaces, hosts' order (to compare their devices with cnm's). */
  get overlayNamespaces(): [string, string] {
    return [this.hosts[0].overlay, this.hosts[1].overlay];
  }

  /** The sandboxes' namespaces as paths (for nsenter, as iperf.ts takes them): [client, server]. */
  get sandboxPaths(): [string, string] {
    return [`${NETNS_RUN_DIR}/${this.hosts[0].sandbox}`, `${NETNS_RUN_DIR}/${this.hosts[1].sandbox}`];
  }

  get serverIp(): string {
    return this.hosts[1].ip;
  }

  /** Builds both hosts and checks the client reaches the server (one ping). Call remove() afterwards, whether this succeeded or not. */
  build(progress: (m: string) => void): Promise<void> {
    if (this.building) throw new Error(`kernel topology ${this.prefix} is built once`);
    this.building = this.buildAll(progress);
    return this.building;
  }

  private async buildAll(progress: (m: string) => void): Promise<void> {
    const t0 = Date.now();
    const [a, b] = this.hosts;
    await this.buildHost(a, b);
    await this.buildHost(b, a);
    // One ping before anything is timed: a broken copy must fail here, plainly, not as an iperf3 timeout.
    await runChecked(["ip", "netns", "exec", a.sandbox, "ping", "-c", "1", "-W", "2", b.ip]);
    const { vni, port, mtu } = this.o.shape;
    progress(`kernel topology ${this.prefix}: 2 hosts (VNI ${vni}, UDP ${port}, MTU ${mtu}) built by hand and reachable in ${Date.now() - t0} ms`);
  }

  private async buildHost(h: HandBuiltHost, remote: HandBuiltHost): Promise<void> {
    const o = this.o;
    const { vni, port, mtu, gateway } = o.shape;
    const prefixLen = gateway.split("/")[1]!;
    const [br, vx, veth] = [`br-${vni}`, this.vxlan, `${this.prefix}v`];
    this.made.push(h.host);
    await attachToUnderlay(o.underlayNetns, { netns: h.host, port: h.host, address: h.address });
    this.made.push(h.overlay, h.sandbox);
    await createNamespace(h.overlay);
    await createNamespace(h.sandbox);
    // As cnm's sandboxes: links made in them from now on start without IPv6.
    await runChecked(["ip", "netns", "exec", h.sandbox, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"]);
    await ipBatch(h.overlay, [
      `link add ${br} mtu ${mtu} type bridge`,
      `link set ${br} addrgenmode none`,
      `link set ${br} mtu ${mtu} up`,
      `addr replace ${gateway} dev ${br}`,
    ]);
    // From the host namespace into the overlay one, as cnm does: the tunnel's UDP socket opens where the request comes from.
    await ipBatch(h.host, [`link add ${vx} netns ${h.overlay} mtu ${mtu} type vxlan id ${vni} local ${h.address} dstport ${port} nolearning proxy`]);
    await ipBatch(h.overlay, [
      `link set ${vx} addrgenmode none`,
      `link set ${vx} master ${br} mtu ${mtu} up`,
      "link set lo up",
      `link add ${veth} mtu ${mtu} master ${br} type veth peer name eth0 netns ${h.sandbox} address ${h.mac} mtu ${mtu}`,
      `link set ${veth} addrgenmode none`,
      `link set ${veth} up`,
      // What cnm's gossip would program for the other host's endpoint.
      `neigh replace ${remote.ip} lladdr ${remote.mac} dev ${vx} nud permanent`,
    ]);
    await runChecked(["bridge", "-n", h.overlay, "fdb", "replace", remote.mac, "dev", vx, "dst", remote.address, "self", "permanent"]);
    await ipBatch(h.sandbox, ["link set eth0 up", `addr add ${h.ip}/${prefixLen} dev eth0 nodad`]);
  }

  /**
   * Deletes every namespace made (sandboxes, then overlays with their vxlan
   * first, then hosts) and checks none with the prefix is left. Idempotent,
   * and safe after a build that failed half-way: each step runs even when
   * another fails; the failures are thrown together at the end.
   */
  remove(): Promise<void> {
    this.removing ??= this.teardown();
    return this.removing;
  }

  private async teardown(): Promise<void> {
    // A build under way (an interrupt came) settles first, either way: nothing may be made after the deletes.
    await Promise.allSettled([this.building]);
    const errors: string[] = [];
    const attempt = async (what: string, step: () => Promise<void>) => {
      try {
        await step();
      } catch (err) {
        errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    const made = (names: string[]) => names.filter((n) => this.made.includes(n));
    for (const ns of made(this.hosts.map((h) => h.overlay)).filter((n) => existsSync(`${NETNS_RUN_DIR}/${n}`))) {
      // Synchronously, as cnm does: a deleted namespace's devices go in the background, holding the VNI meanwhile.
      await attempt(`deleting ${this.vxlan} in ${ns}`, async () => {
        const r = await runCommand(["ip", "-n", ns, "link", "del", this.vxlan]);
        if (r.code !== 0 && !/Cannot find device/.test(r.stderr)) throw new Error(r.stderr.trim());
      });
    }
    // Sandboxes first (their veths' peers are in the overlays), then the overlays, the hosts last.
    for (const group of [made(this.hosts.map((h) => h.sandbox)), made(this.hosts.map((h) => h.overlay)), made(this.hosts.map((h) => h.host))]) {
      await Promise.all(group.map((n) => attempt(`deleting namespace ${n}`, () => deleteNamespace(n))));
    }
    const left = namespacesWith(this.prefix);
    if (left.length > 0) errors.push(`namespaces left: ${left.join(", ")}`);
    if (errors.length > 0) throw new Error(`removing kernel topology ${this.prefix}: ${errors.join("; ")}`);
  }
}

async function ipBatch(netns: string, lines: readonly string[]): Promise<void> {
  await runChecked(["ip", "-n", netns, "-batch", "-"], { input: `${lines.join("\n")}\n` });
}

function namespacesWith(prefix: string): string[] {
  return readdirSync(NETNS_RUN_DIR).filter((n) => n.startsWith(`${prefix}-`));
}

/** "kt" + 4 hex digits, the start of no namespace's name yet. */
function freshPrefix(underlayNetns: string): string {
  for (;;) {
    const prefix = `kt${randomBytes(2).toString("hex")}`;
    if (namespacesWith(prefix).length === 0 && !underlayNetns.startsWith(prefix)) return prefix;
  }
}
