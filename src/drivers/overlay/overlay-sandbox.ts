import { hasErrorCode, NetlinkHandle, netns } from "../../linux/index.js";
import type { OverlaySubnet } from "./network-config.js";

/** UDP port of the tunnels (IANA's VXLAN port, Docker's default). */
export const VXLAN_PORT = 4789;

/** A remote endpoint as programmed on a subnet's vxlan device. */
export interface ProgrammedPeer {
  /** Plain address, "10.0.0.3". */
  readonly ip: string;
  readonly mac: string;
  /** Underlay address of the host it lives on. */
  readonly tunnelIp: string;
}

/**
 * The kernel side of an overlay network on one host, as libnetwork builds it:
 * a network namespace holding, per subnet, a bridge (with the subnet's
 * gateway address) and a vxlan device attached to it. The vxlan is created
 * from the host's namespace, so its UDP socket lives in the underlay, and
 * placed straight into the overlay namespace. It neither learns nor floods:
 * every remote MAC is a static FDB entry and every remote address a
 * permanent neighbour entry, both from gossip, and the vxlan answers ARP
 * from those (proxy), so unknown destinations are simply dropped.
 */
export class OverlaySandbox {
  private constructor(
    readonly nsName: string,
    /** A handle inside the overlay namespace. */
    readonly ns: NetlinkHandle,
  ) {}

  get nsPath(): string {
    return netns.path(this.nsName);
  }

  /** Opens the namespace if it exists (adopting what a previous run left), else undefined. */
  static open(nsName: string): OverlaySandbox | undefined {
    if (!netns.exists(nsName)) return undefined;
    return new OverlaySandbox(nsName, NetlinkHandle.open(netns.path(nsName)));
  }

  /** Opens the namespace, creating it when absent. */
  static openOrCreate(nsName: string): OverlaySandbox {
    const existing = OverlaySandbox.open(nsName);
    if (existing) return existing;
    netns.create(nsName);
    try {
      return new OverlaySandbox(nsName, NetlinkHandle.open(netns.path(nsName)));
    } catch (err) {
      netns.delete(nsName, { missingOk: true });
      throw err;
    }
  }

  /**
   * Makes the subnet's bridge and vxlan, keeping those already there (a
   * restarted daemon must not cut live traffic). A vxlan with other
   * parameters than wanted (another VNI or source) is replaced.
   */
  ensureSubnet(host: NetlinkHandle, subnet: OverlaySubnet, localAddress: string, mtu: number): void {
    const bridge = this.ns.linkFind(subnet.bridge);
    if (!bridge || bridge.kind !== "bridge") {
      if (bridge) this.ns.linkDel(subnet.bridge);
      this.ns.linkAdd({ kind: "bridge", name: subnet.bridge, mtu });
      // No IPv6 link-local on the bridge: nothing to say into the tunnel (DAD, MLD, RS).
      this.ns.linkSet(subnet.bridge, { ipv6AddrGenMode: "none" });
    }
    this.ns.linkSet(subnet.bridge, { mtu, up: true });
    if (subnet.gateway) this.ns.addrReplace(subnet.bridge, subnet.gateway);

    const vxlan = this.ns.linkFind(subnet.vxlan);
    const fits = vxlan?.kind === "vxlan" && vxlan.vxlan?.vni === subnet.vni && vxlan.vxlan.local === localAddress;
    if (vxlan && !fits) this.ns.linkDel(subnet.vxlan);
    if (!fits) {
      // Created through the host's handle with a target namespace: the kernel
      // opens the tunnel's UDP socket in the namespace the request came from.
      host.linkAdd({
        kind: "vxlan",
        name: subnet.vxlan,
        namespace: this.nsPath,
        vni: subnet.vni,
        local: localAddress,
        port: VXLAN_PORT,
        learning: false,
        proxy: true,
        mtu,
      });
      this.ns.linkSet(subnet.vxlan, { ipv6AddrGenMode: "none" });
    }
    this.ns.linkSet(subnet.vxlan, { master: subnet.bridge, mtu, up: true });
    this.ns.linkSetUp("lo");
  }

  /** Programs a remote endpoint: where its MAC lives (FDB) and what MAC its address has (neighbour). */
  programPeer(subnet: OverlaySubnet, peer: ProgrammedPeer): void {
    this.ns.neighReplace({ dev: subnet.vxlan, ip: peer.ip, mac: peer.mac, state: "permanent" });
    this.ns.fdbReplace({ dev: subnet.vxlan, mac: peer.mac, dst: peer.tunnelIp, self: true, state: "permanent" });
  }

  /** Removes both entries of a remote endpoint; entries already gone are fine. */
  unprogramPeer(subnet: OverlaySubnet, peer: ProgrammedPeer): void {
    ignoreAbsent(() => this.ns.neighDel({ dev: subnet.vxlan, ip: peer.ip }));
    ignoreAbsent(() => this.ns.fdbDel({ dev: subnet.vxlan, mac: peer.mac, dst: peer.tunnelIp, self: true }));
    this.forgetLearned(subnet, peer.mac);
  }

  /**
   * Drops what the bridge learnt of a MAC behind the vxlan port. Overlay MACs
   * follow from addresses, so an address given again, here, takes the MAC of
   * an endpoint that was remote: for the bridge's 5 minutes of ageing, frames
   * to it would still go into the tunnel, to nobody.
   */
  forgetLearned(subnet: OverlaySubnet, mac: string): void {
    ignoreAbsent(() => this.ns.fdbDel({ dev: subnet.vxlan, mac, master: true }));
  }

  /**
   * A veth pair for an endpoint: one end on the subnet's bridge here, the
   * other created directly in the sandbox namespace (no move, no rename here).
   */
  addVeth(subnet: OverlaySubnet, spec: { hostEnd: string; containerEnd: string; sboxKey: string; mac: string; mtu: number }): void {
    this.ns.linkAdd({
      kind: "veth",
      name: spec.hostEnd,
      peerName: spec.containerEnd,
      peerNamespace: spec.sboxKey,
      peerMac: spec.mac,
      mtu: spec.mtu,
      master: subnet.bridge,
    });
    this.forgetLearned(subnet, spec.mac);
    try {
      this.ns.linkSet(spec.hostEnd, { ipv6AddrGenMode: "none" });
      this.ns.linkSetUp(spec.hostEnd);
    } catch (err) {
      this.removeLink(spec.hostEnd);
      throw err;
    }
  }

  hasLink(name: string): boolean {
    return this.ns.linkFind(name) !== undefined;
  }

  removeLink(name: string): void {
    ignoreAbsent(() => this.ns.linkDel(name));
  }

  /**
   * Removes the namespace and everything in it. The vxlan devices are deleted
   * first and synchronously: the kernel tears a namespace's devices down in
   * the background, and until then their VNIs stay taken in the underlay.
   */
  destroy(subnets: readonly OverlaySubnet[]): void {
    try {
      for (const s of subnets) this.removeLink(s.vxlan);
    } finally {
      this.ns.close();
      netns.delete(this.nsName, { missingOk: true });
    }
  }

  close(): void {
    this.ns.close();
  }
}

function ignoreAbsent(step: () => void): void {
  try {
    step();
  } catch (err) {
    if (!hasErrorCode(err, "ENODEV") && !hasErrorCode(err, "ENOENT") && !hasErrorCode(err, "EADDRNOTAVAIL")) throw err;
  }
}
