import { cidrAddress, macFromIPv4 } from "../../inet/index.js";
import { existsSync } from "node:fs";
import {
  DiscoveryType,
  EventType,
  type DiscoveryEvent,
  type DriverCallback,
  type EndpointOptions,
  type IdPool,
  type InterfaceInfo,
  type IpamData,
  type JoinInfo,
  type JoinOptions,
  type NetworkInfo,
  type NetworkOptions,
} from "../../driverapi/index.js";
import { ForbiddenError, InvalidParameterError, NotFoundError, UnavailableError } from "../../errors.js";
import { NetlinkHandle, OWN_NETNS_PATH, parseIp, parseMac } from "../../linux/index.js";
import { BaseDriver } from "../base-driver.js";
import { containerVethName, overlayNamespaceName, overlayVethName } from "./names.js";
import { parseOverlayNetworkConfig, subnetOf, VXLAN_OVERHEAD, type OverlayNetworkConfig, type OverlaySubnet } from "./network-config.js";
import { OverlaySandbox, type ProgrammedPeer } from "./overlay-sandbox.js";
import { decodePeerRecord, encodePeerRecord, PEER_TABLE } from "./peer-record.js";
import { formatVxlanIdList, parseVxlanIdList, VXLAN_ID_LIST_OPTION } from "./vxlan-ids.js";

export interface OverlayDriverConfig {
  /** The controller's prefix: the overlay namespaces are "<prefix>-ov-<network id>". */
  readonly prefix: string;
  /** Netlink handle in the host (underlay) namespace; default: a new one in this process's. */
  readonly host?: NetlinkHandle;
  /** Where VXLAN ids are reserved cluster-wide (a MemoryIdPool without a cluster store). */
  readonly vxlanIds: IdPool;
  /** A peer event that could not be applied (malformed record, kernel refusal); default: ignored. */
  readonly onPeerError?: (error: unknown, context: { nid: string; key: string }) => void;
}

interface OverlayEndpoint {
  readonly id: string;
  readonly mac: string;
  /** CIDR, "10.0.0.2/24". */
  readonly address: string;
  readonly subnet: OverlaySubnet;
  readonly hostEnd: string;
  readonly containerEnd: string;
  /** The sandbox the container end was created in, while joined. */
  sboxKey?: string;
  /** Joined for a container engine: the pair's container end was made in the host's namespace; removed at deleteEndpoint. */
  engineMoved?: boolean;
}

interface OverlayNetwork {
  readonly id: string;
  readonly config: OverlayNetworkConfig;
  readonly nsName: string;
  /** The overlay namespace, once made (first join) or adopted (restart). */
  sandbox?: OverlaySandbox;
  /** True once its bridges and vxlans are there and the known peers programmed. */
  ready: boolean;
  /** The MTU of every link of the network on this host, known once ready. */
  mtu?: number;
  readonly endpoints: Map<string, OverlayEndpoint>;
  /** Every remote endpoint heard of, by table key, programmed or waiting for the namespace. */
  readonly peers: Map<string, ProgrammedPeer>;
}

/**
 * The MAC Docker's overlay driver gives an endpoint: 02:42 and its IPv4
 * address. Not random (as on a bridge): nothing is flooded through the
 * tunnel, so a gratuitous ARP never reaches the other hosts' sandboxes, and
 * an endpoint re-created with the same address must keep the MAC their
 * neighbour caches hold.
 */
function overlayMac(cidr: string): string {
  return macFromIPv4(parseIp(cidrAddress(cidr)).bytes);
}

/** A PeerRecord's value checked and reduced to what the kernel is told. Throws when malformed. */
function peerFromRecord(bytes: Uint8Array): ProgrammedPeer {
  const r = decodePeerRecord(bytes);
  const ip = cidrAddress(r.endpointIp);
  parseIp(ip);
  parseIp(r.tunnelEndpointIp);
  parseMac(r.endpointMac);
  return { ip, mac: r.endpointMac.toLowerCase(), tunnelIp: r.tunnelEndpointIp };
}

/**
 * The overlay driver: one L2 segment per subnet across every host of the
 * cluster, over VXLAN. Each host has a namespace per network with a bridge
 * and a vxlan per subnet; endpoints are veths on the bridge. Where a remote
 * endpoint is comes only from gossip (overlay_peer_table): each join
 * publishes a PeerRecord, and every other host programs it as a static FDB
 * entry and a neighbour entry on its vxlan. No multicast, no learning.
 */
export class OverlayDriver extends BaseDriver {
  private readonly networks = new Map<string, OverlayNetwork>();
  private readonly host: NetlinkHandle;
  /** This host's tunnel address, from node discovery. */
  private advertiseAddress: string | undefined;

  constructor(private readonly cfg: OverlayDriverConfig) {
    super();
    this.host = cfg.host ?? NetlinkHandle.open();
  }

  type(): string {
    return "overlay";
  }

  override async discoverNew(event: DiscoveryEvent): Promise<void> {
    // Other nodes need nothing here: where their endpoints are comes with each PeerRecord.
    if (event.type !== DiscoveryType.NodeDiscovery || !event.data.self || event.data.address === this.advertiseAddress) return;
    // A new address: the tunnels are remade from it at the next join.
    this.advertiseAddress = event.data.address;
    for (const n of this.networks.values()) n.ready = false;
  }

  override async networkAllocate(
    nid: string,
    options: Readonly<Record<string, string>>,
    v4: readonly IpamData[],
    _v6: readonly IpamData[],
  ): Promise<Record<string, string>> {
    // Docker likewise refuses overlay networks on a node outside a swarm. (403, not
    // Docker's 503: the request cannot succeed until the node's configuration changes.)
    if (this.advertiseAddress === undefined) {
      throw new ForbiddenError("overlay networks need this node in a cluster: no advertise address from node discovery yet");
    }
    if (v4.length === 0) throw new InvalidParameterError(`overlay network ${nid} needs at least one IPv4 subnet`);
    const listed = options[VXLAN_ID_LIST_OPTION];
    const wanted = listed === undefined ? undefined : parseVxlanIdList(listed, v4.length);
    const ids = await this.cfg.vxlanIds.reserve(nid, wanted ? { wanted } : { count: v4.length });
    return { [VXLAN_ID_LIST_OPTION]: formatVxlanIdList(ids) };
  }

  override async networkFree(nid: string): Promise<void> {
    await this.cfg.vxlanIds.release(nid);
  }

  async createNetwork(nid: string, options: NetworkOptions, nInfo: NetworkInfo, v4: readonly IpamData[], _v6: readonly IpamData[]): Promise<void> {
    const config = parseOverlayNetworkConfig(options, v4);
    nInfo.tableEventRegister(PEER_TABLE);
    if (this.networks.has(nid)) return;
    const n: OverlayNetwork = {
      id: nid,
      config,
      nsName: overlayNamespaceName(this.cfg.prefix, nid),
      ready: false,
      endpoints: new Map(),
      peers: new Map(),
    };
    // The namespace is made at the first join (as libnetwork does). One left by
    // an earlier run of this daemon is adopted now, its endpoints still talking.
    const sandbox = OverlaySandbox.open(n.nsName);
    if (sandbox) n.sandbox = sandbox;
    this.networks.set(nid, n);
    if (!sandbox || this.advertiseAddress === undefined) return;
    try {
      this.makeReady(n);
    } catch (err) {
      // Left as it was found, for the next attempt (or the orphan sweep) to deal with.
      this.networks.delete(nid);
      sandbox.close();
      throw err;
    }
  }

  async deleteNetwork(nid: string): Promise<void> {
    const n = this.networks.get(nid);
    if (!n) return;
    this.networks.delete(nid);
    n.sandbox?.destroy(n.config.subnets);
  }

  async createEndpoint(nid: string, eid: string, ifInfo: InterfaceInfo, _options: EndpointOptions): Promise<void> {
    const n = this.network(nid);
    const address = ifInfo.address();
    if (!address) throw new InvalidParameterError(`overlay endpoint ${eid} has no IPv4 address`);
    const subnet = subnetOf(n.config.subnets, address);
    if (!subnet) throw new InvalidParameterError(`address ${address} is in no subnet of overlay network ${n.config.name}`);
    let mac = ifInfo.macAddress();
    if (!mac) {
      mac = overlayMac(address);
      ifInfo.setMacAddress(mac);
    }
    n.endpoints.set(eid, {
      id: eid,
      mac,
      address,
      subnet,
      hostEnd: overlayVethName(eid),
      containerEnd: containerVethName(this.cfg.prefix, eid),
    });
  }

  async deleteEndpoint(nid: string, eid: string): Promise<void> {
    const n = this.networks.get(nid);
    const ep = n?.endpoints.get(eid);
    // An engine hands its container's interface back after leave: the pair goes now.
    if (ep?.engineMoved) n?.sandbox?.removeLink(ep.hostEnd);
    n?.endpoints.delete(eid);
  }

  override async endpointOperInfo(nid: string, eid: string): Promise<Record<string, unknown>> {
    const ep = this.endpoint(this.network(nid), eid);
    return { "com.docker.network.endpoint.macaddress": ep.mac };
  }

  async join(nid: string, eid: string, sboxKey: string, jinfo: JoinInfo, options: JoinOptions): Promise<void> {
    const n = this.network(nid);
    const ep = this.endpoint(n, eid);
    const tunnelIp = this.makeReady(n);
    const sandbox = n.sandbox!;
    const engine = options.engineMovesInterface === true;
    if (options.restore && sandbox.hasLink(ep.hostEnd)) {
      // The pair survived a daemon restart with its container end in the sandbox: keep it.
      sandbox.ns.linkSetUp(ep.hostEnd);
    } else if (engine && options.restore) {
      throw new NotFoundError(`the interface of endpoint ${eid} is gone (its container with it)`);
    } else {
      // A pair left by an interrupted run has its container end in no sandbox we know.
      sandbox.removeLink(ep.hostEnd);
      // An engine's sandbox may not exist yet: its end goes to this host's namespace (the engine's), to be moved by it.
      const containerNs = engine ? OWN_NETNS_PATH : sboxKey;
      sandbox.addVeth(ep.subnet, { hostEnd: ep.hostEnd, containerEnd: ep.containerEnd, sboxKey: containerNs, mac: ep.mac, mtu: n.mtu! });
    }
    ep.sboxKey = sboxKey;
    ep.engineMoved = engine;
    // No gateway: an overlay network leads nowhere but to its own endpoints.
    jinfo.interfaceName().setNames(ep.containerEnd, n.config.containerIfacePrefix);
    jinfo.addTableEntry(PEER_TABLE, eid, encodePeerRecord({ endpointIp: ep.address, endpointMac: ep.mac, tunnelEndpointIp: tunnelIp }));
  }

  async leave(nid: string, eid: string): Promise<void> {
    const n = this.network(nid);
    const ep = this.endpoint(n, eid);
    if (ep.engineMoved) {
      delete ep.sboxKey;
      return;
    }
    // As in the bridge driver: a sandbox that deleted its end took the pair with it,
    // and a destroyed namespace's pair is being torn down by the kernel already.
    if (ep.sboxKey && existsSync(ep.sboxKey)) n.sandbox?.removeLink(ep.hostEnd);
    delete ep.sboxKey;
  }

  override eventNotify(type: EventType, nid: string, tableName: string, key: string, value: Uint8Array): void {
    if (tableName !== PEER_TABLE) return;
    const n = this.networks.get(nid);
    if (!n) return;
    try {
      const old = n.peers.get(key);
      if (type === EventType.Delete) {
        n.peers.delete(key);
        if (old) this.withdrawPeer(n, old);
        return;
      }
      const peer = peerFromRecord(value);
      if (old && old.ip === peer.ip && old.mac === peer.mac && old.tunnelIp === peer.tunnelIp) return;
      n.peers.set(key, peer);
      if (old) this.withdrawPeer(n, old);
      this.applyPeer(n, peer);
    } catch (err) {
      // A bad record from one node must not stop the others' from being applied.
      this.cfg.onPeerError?.(err, { nid, key });
    }
  }

  /**
   * Makes the network's namespace, bridges and vxlans (or adopts them) and
   * programs the peers heard so far; returns this host's tunnel address.
   */
  private makeReady(n: OverlayNetwork): string {
    const local = this.advertiseAddress;
    if (local === undefined) {
      throw new UnavailableError(`overlay network ${n.config.name}: this node's advertise address is not known yet (no node discovery)`);
    }
    if (n.ready) return local;
    const created = !n.sandbox;
    const mtu = n.config.mtu ?? this.underlayMtu(local);
    n.sandbox ??= OverlaySandbox.openOrCreate(n.nsName);
    try {
      for (const subnet of n.config.subnets) n.sandbox.ensureSubnet(this.host, subnet, local, mtu);
    } catch (err) {
      if (created) {
        n.sandbox.destroy(n.config.subnets);
        delete n.sandbox;
      }
      throw err;
    }
    n.mtu = mtu;
    n.ready = true;
    for (const [key, peer] of n.peers) {
      try {
        this.applyPeer(n, peer);
      } catch (err) {
        this.cfg.onPeerError?.(err, { nid: n.id, key });
      }
    }
    return local;
  }

  /** The MTU left inside the tunnel: that of the underlay link holding the advertise address, minus VXLAN's headers. */
  private underlayMtu(local: string): number {
    const addr = this.host.addrList().find((a) => a.address === local);
    if (!addr) throw new InvalidParameterError(`advertise address ${local} is on no interface of this host`);
    return this.host.linkGet(addr.index).mtu - VXLAN_OVERHEAD[addr.family];
  }

  private applyPeer(n: OverlayNetwork, peer: ProgrammedPeer): void {
    if (!n.ready || !n.sandbox || peer.tunnelIp === this.advertiseAddress) return;
    const subnet = subnetOf(n.config.subnets, peer.ip);
    if (subnet) n.sandbox.programPeer(subnet, peer);
  }

  /** Removes a peer's entries, then puts back any other peer's that shared its address or MAC (a late delete after a re-create). */
  private withdrawPeer(n: OverlayNetwork, peer: ProgrammedPeer): void {
    if (!n.ready || !n.sandbox || peer.tunnelIp === this.advertiseAddress) return;
    const subnet = subnetOf(n.config.subnets, peer.ip);
    if (!subnet) return;
    n.sandbox.unprogramPeer(subnet, peer);
    for (const other of n.peers.values()) if (other.ip === peer.ip || other.mac === peer.mac) this.applyPeer(n, other);
  }

  /**
   * Lets go of the overlay namespaces without removing them (a daemon
   * stopping with live restore): their handles would otherwise keep a
   * namespace, and its vxlan's VNI, alive after a later delete.
   */
  close(): void {
    for (const n of this.networks.values()) n.sandbox?.close();
    this.networks.clear();
  }

  private network(nid: string): OverlayNetwork {
    const n = this.networks.get(nid);
    if (!n) throw new NotFoundError(`overlay network ${nid} not found`);
    return n;
  }

  private endpoint(n: OverlayNetwork, eid: string): OverlayEndpoint {
    const ep = n.endpoints.get(eid);
    if (!ep) throw new NotFoundError(`overlay endpoint ${eid} not found in network ${n.config.name}`);
    return ep;
  }
}

export const OVERLAY_CAPABILITY = { dataScope: "global", connectivityScope: "global" } as const;

/** Registers the overlay driver (a new one from `config`, or this one): global data and connectivity scope. */
export function overlayDriverInit(config: OverlayDriverConfig | OverlayDriver) {
  return (callback: DriverCallback): void => {
    callback.registerDriver("overlay", config instanceof OverlayDriver ? config : new OverlayDriver(config), OVERLAY_CAPABILITY);
  };
}
