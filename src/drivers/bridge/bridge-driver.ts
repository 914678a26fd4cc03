import { cidrAddress, randomLocalMac } from "../../inet/index.js";
import { existsSync } from "node:fs";
import type {
  DriverCallback,
  EndpointOptions,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  JoinOptions,
  NetworkInfo,
  NetworkOptions,
} from "../../driverapi/index.js";
import { ConflictError, ExhaustedError, NotFoundError } from "../../errors.js";
import { errorText, quietLogger, type Logger } from "../../log/index.js";
import { hasErrorCode, NetlinkHandle, sysctlSet } from "../../linux/index.js";
import type { Firewall, PortMapping } from "../../linux/nftables/index.js";
import type { PortAllocator } from "../../portallocator/index.js";
import { BaseDriver } from "../base-driver.js";
import { MAX_BRIDGE_PORTS, parseNetworkConfig, type BridgeNetworkConfig } from "./network-config.js";
import { allocateMappings, releaseMappings } from "./port-mappings.js";
import { containerVethName, hostVethName } from "./names.js";

export interface BridgeDriverConfig {
  /** Prefix of the links this driver creates (bridges, veths). */
  readonly prefix: string;
  readonly firewall: Firewall;
  readonly ports: PortAllocator;
  /** Netlink handle in the host namespace; default: a new one. */
  readonly host?: NetlinkHandle;
  /** Hears what an undo could not clean up. Default: quiet. */
  readonly logger?: Logger;
}

interface BridgeEndpoint {
  readonly id: string;
  /** The sandbox namespace the pair's container end was created in, while joined. */
  sboxKey?: string;
  /** Joined for a container engine: the pair was made in the host's namespace and is removed at deleteEndpoint. */
  engineMoved?: boolean;
  readonly hostVeth: string;
  readonly containerVeth: string;
  readonly mac: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  mappings: PortMapping[];
}

interface BridgeNetwork {
  readonly config: BridgeNetworkConfig;
  /** False when the user named a bridge that already existed: it stays on delete. */
  readonly ownsBridge: boolean;
  readonly endpoints: Map<string, BridgeEndpoint>;
}

/**
 * The bridge driver: a Linux bridge per network with the gateway on it, a veth
 * pair per endpoint, NAT, isolation and published ports in cnm's own nftables
 * tables. Every kernel change is netlink; the firewall is touched at network
 * create/delete and for endpoints that publish ports, never otherwise.
 */
export class BridgeDriver extends BaseDriver {
  private readonly networks = new Map<string, BridgeNetwork>();
  private readonly host: NetlinkHandle;
  private forwardingEnabled = { v4: false, v6: false };

  private readonly log: Logger;

  constructor(private readonly cfg: BridgeDriverConfig) {
    super();
    this.host = cfg.host ?? NetlinkHandle.open();
    this.log = cfg.logger ?? quietLogger;
  }

  type(): string {
    return "bridge";
  }

  private network(nid: string): BridgeNetwork {
    const n = this.networks.get(nid);
    if (!n) throw new NotFoundError(`bridge network ${nid} not found`);
    return n;
  }

  private endpoint(nid: string, eid: string): BridgeEndpoint {
    const ep = this.network(nid).endpoints.get(eid);
    if (!ep) throw new NotFoundError(`bridge endpoint ${eid} not found in network ${nid}`);
    return ep;
  }

  async createNetwork(
    nid: string,
    options: NetworkOptions,
    _nInfo: NetworkInfo,
    v4: readonly IpamData[],
    v6: readonly IpamData[],
  ): Promise<void> {
    const config = parseNetworkConfig(this.cfg.prefix, nid, options, v4, v6);
    for (const other of this.networks.values()) {
      if (other.config.bridgeName === config.bridgeName) {
        throw new ConflictError(`bridge ${config.bridgeName} is already used by network ${other.config.name}`);
      }
    }
    // A bridge this driver made carries "<prefix>:<network id>" as its alias, so a
    // restarted daemon adopts its own bridges and never takes someone else's.
    const marker = `${this.cfg.prefix}:${nid}`;
    const existing = this.host.linkFind(config.bridgeName);
    const ours = existing?.kind === "bridge" && existing.alias === marker;
    if (existing && !ours && (!config.userNamedBridge || existing.kind !== "bridge")) {
      throw new ConflictError(`an interface named ${config.bridgeName} already exists and is not a bridge cnm can use`);
    }
    const undo: [what: string, step: () => unknown][] = [];
    try {
      if (!existing) {
        this.host.linkAdd({
          kind: "bridge",
          name: config.bridgeName,
          mtu: config.mtu,
          up: true,
          multicastSnooping: config.multicastSnooping,
        });
        undo.push([`delete bridge ${config.bridgeName}`, () => this.host.linkDel(config.bridgeName)]);
        // An MTU changed after creation counts as chosen: the kernel then stops
        // recomputing the bridge's MTU over all its ports at every port added. It
        // only counts as a change if the value differs, hence the step through mtu-1.
        this.host.linkSet(config.bridgeName, { mtu: config.mtu > 68 ? config.mtu - 1 : config.mtu + 1, alias: marker });
        this.host.linkSetMtu(config.bridgeName, config.mtu);
      } else {
        this.host.linkSetUp(config.bridgeName);
      }
      if (config.enableIPv6) sysctlSet(["net", "ipv6", "conf", config.bridgeName, "disable_ipv6"], 0);
      for (const gw of config.gatewaysV4) this.host.addrReplace(config.bridgeName, gw);
      for (const gw of config.gatewaysV6) this.host.addrReplace(config.bridgeName, gw, { noDad: true });
      // Published ports reached through 127.0.0.1 are routed to the bridge: the kernel drops
      // such "martian" packets unless the bridge allows local-net routing.
      sysctlSet(["net", "ipv4", "conf", config.bridgeName, "route_localnet"], 1);
      this.enableForwarding(config);
      await this.cfg.firewall.addNetwork({
        id: nid,
        bridge: config.bridgeName,
        subnets: [...config.subnetsV4, ...config.subnetsV6],
        masquerade: config.enableIPMasquerade,
        icc: config.enableICC,
        internal: config.internal,
        hostBindingIPv4: config.hostBindingIPv4,
      });
      this.networks.set(nid, { config, ownsBridge: !existing || ours, endpoints: new Map() });
    } catch (err) {
      for (const [what, step] of undo.reverse()) {
        try {
          step();
        } catch (undoErr) {
          // `err` is what the caller must see; what the undo left behind (an orphan sweep removes it) is logged.
          this.log.warn(`bridge network ${config.name}: undoing a failed create: ${what}: ${errorText(undoErr)}`);
        }
      }
      throw err;
    }
  }

  /**
   * Routing between the bridge and the world needs forwarding on. It is a
   * host-wide switch: cnm turns it on when a network needs it and never
   * changes the host's firewall policy.
   */
  private enableForwarding(config: BridgeNetworkConfig): void {
    if (config.internal) return;
    if (!this.forwardingEnabled.v4) {
      sysctlSet("net.ipv4.ip_forward", 1);
      this.forwardingEnabled.v4 = true;
    }
    if (config.enableIPv6 && !this.forwardingEnabled.v6) {
      sysctlSet("net.ipv6.conf.all.forwarding", 1);
      this.forwardingEnabled.v6 = true;
    }
  }

  async deleteNetwork(nid: string): Promise<void> {
    const n = this.networks.get(nid);
    if (!n) return;
    await this.cfg.firewall.removeNetwork(nid);
    if (n.ownsBridge) {
      ignoreGone(() => this.host.linkDel(n.config.bridgeName));
    } else {
      for (const gw of [...n.config.gatewaysV4, ...n.config.gatewaysV6]) ignoreGone(() => this.host.addrDel(n.config.bridgeName, gw));
    }
    this.networks.delete(nid);
  }

  async createEndpoint(nid: string, eid: string, ifInfo: InterfaceInfo, _options: EndpointOptions): Promise<void> {
    const n = this.network(nid);
    if (n.endpoints.size >= MAX_BRIDGE_PORTS) {
      throw new ExhaustedError(`network ${n.config.name}: bridge ${n.config.bridgeName} already has the maximum of ${MAX_BRIDGE_PORTS} ports`);
    }
    const hostVeth = hostVethName(this.cfg.prefix, eid);
    const containerVeth = containerVethName(this.cfg.prefix, eid);
    let mac = ifInfo.macAddress();
    if (!mac) {
      mac = randomLocalMac(); // as Docker gives containers since 25.0
      ifInfo.setMacAddress(mac);
    }
    const ipv4 = cidrAddress(ifInfo.address());
    const ipv6 = cidrAddress(ifInfo.addressIPv6());
    n.endpoints.set(eid, {
      id: eid,
      hostVeth,
      containerVeth,
      mac,
      ...(ipv4 ? { ipv4 } : {}),
      ...(ipv6 ? { ipv6 } : {}),
      mappings: [],
    });
  }

  async deleteEndpoint(nid: string, eid: string): Promise<void> {
    const n = this.networks.get(nid);
    const ep = n?.endpoints.get(eid);
    if (!n || !ep) return;
    if (ep.mappings.length > 0) await this.revokeExternalConnectivity(nid, eid);
    // The pair exists only between join and leave, except for an engine's
    // container, whose interface the engine hands back after leave.
    if (ep.engineMoved) ignoreGone(() => this.host.linkDel(ep.hostVeth));
    n.endpoints.delete(eid);
  }

  override async endpointOperInfo(nid: string, eid: string): Promise<Record<string, unknown>> {
    const ep = this.endpoint(nid, eid);
    return {
      "com.docker.network.endpoint.macaddress": ep.mac,
      "com.docker.network.portmap": ep.mappings.map((m) => ({
        Proto: m.proto,
        IP: m.hostIP ?? "",
        Port: m.containerPort,
        HostPort: m.hostPort,
      })),
    };
  }

  async join(nid: string, eid: string, sboxKey: string, jinfo: JoinInfo, options: JoinOptions): Promise<void> {
    const n = this.network(nid);
    const ep = this.endpoint(nid, eid);
    const existing = this.host.linkFind(ep.hostVeth);
    const engine = options.engineMovesInterface === true;
    if (existing && options.restore) {
      // The pair survived a daemon restart with its container end in the sandbox: keep it.
      this.host.linkSetUp(ep.hostVeth);
      ep.sboxKey = sboxKey;
      ep.engineMoved = engine;
      this.describeJoin(n, ep, jinfo);
      return;
    }
    if (engine && options.restore) throw new NotFoundError(`the interface of endpoint ${eid} is gone (its container with it)`);
    // A pair left by an interrupted run has its container end in no sandbox we know.
    if (existing) ignoreGone(() => this.host.linkDel(ep.hostVeth));
    // The pair is made here rather than at createEndpoint because only now is the
    // sandbox known: creating the container end directly inside its namespace
    // saves moving it there, which costs the kernel an RCU grace period (~16 ms).
    // One request: both ends named, sized and addressed, the host end on the bridge.
    // An engine's sandbox may not exist yet: its end stays here for the engine to move.
    this.host.linkAdd({
      kind: "veth",
      name: ep.hostVeth,
      peerName: ep.containerVeth,
      ...(engine ? {} : { peerNamespace: sboxKey }),
      peerMac: ep.mac,
      mtu: n.config.mtu,
      master: n.config.bridgeName,
    });
    try {
      // A bridge port needs no IPv6 of its own; with it, every port coming up sends DAD,
      // MLD and router solicitations that the bridge floods to all other ports, so each
      // attach would cost more than the one before (measured: 4x over 1000 ports).
      // (A netlink attribute rather than the disable_ipv6 sysctl: the sysctl's cost grows too.)
      this.host.linkSet(ep.hostVeth, { ipv6AddrGenMode: "none" });
      this.host.linkSetUp(ep.hostVeth);
    } catch (err) {
      ignoreGone(() => this.host.linkDel(ep.hostVeth));
      throw err;
    }
    ep.sboxKey = sboxKey;
    ep.engineMoved = engine;
    this.describeJoin(n, ep, jinfo);
  }

  /** Tells the controller the interface names and gateways of a join. */
  private describeJoin(n: BridgeNetwork, ep: BridgeEndpoint, jinfo: JoinInfo): void {
    jinfo.interfaceName().setNames(ep.containerVeth, n.config.containerIfacePrefix);
    if (n.config.internal) {
      jinfo.disableGatewayService();
      return;
    }
    const gw4 = cidrAddress(n.config.gatewaysV4[0]);
    const gw6 = cidrAddress(n.config.gatewaysV6[0]);
    if (gw4) jinfo.setGateway(gw4);
    if (gw6 && ep.ipv6) jinfo.setGatewayIPv6(gw6);
  }

  async leave(nid: string, eid: string): Promise<void> {
    const ep = this.endpoint(nid, eid);
    // An engine's container end is still in its sandbox, or on its way back: deleteEndpoint removes it.
    if (ep.engineMoved) {
      delete ep.sboxKey;
      return;
    }
    // Normally the sandbox deleted the container end, which took the host end
    // with it. When the whole namespace was destroyed, the kernel is tearing the
    // pair down in the background: deleting it here too would only wait for that.
    // Otherwise (a join undone half-way) the pair is still there to delete.
    if (ep.sboxKey && existsSync(ep.sboxKey)) ignoreGone(() => this.host.linkDel(ep.hostVeth));
    delete ep.sboxKey;
  }

  override async programExternalConnectivity(nid: string, eid: string, options: EndpointOptions): Promise<void> {
    const n = this.network(nid);
    const ep = this.endpoint(nid, eid);
    // Internal networks have no way out, so nothing can be published through them.
    if (n.config.internal || options.portBindings.length === 0) return;
    const mappings = await allocateMappings(
      this.cfg.ports,
      {
        networkId: nid,
        ...(ep.ipv4 ? { ipv4: ep.ipv4 } : {}),
        ...(ep.ipv6 ? { ipv6: ep.ipv6 } : {}),
        defaultHostIPv4: n.config.hostBindingIPv4,
      },
      options.portBindings,
    );
    try {
      await this.cfg.firewall.addPortMappings(mappings);
    } catch (err) {
      releaseMappings(this.cfg.ports, mappings);
      throw err;
    }
    ep.mappings = mappings;
    // A sandbox reaching its own published port through a host address gets its
    // packet back on the port it came from (br_netfilter bridges the DNATed
    // frame): the bridge must allow sending out of the receiving port.
    this.host.linkSetBridgePort(ep.hostVeth, { hairpin: true });
  }

  override async revokeExternalConnectivity(nid: string, eid: string): Promise<void> {
    const ep = this.networks.get(nid)?.endpoints.get(eid);
    if (!ep || ep.mappings.length === 0) return;
    await this.cfg.firewall.removePortMappings(ep.mappings);
    releaseMappings(this.cfg.ports, ep.mappings);
    ep.mappings = [];
  }
}

function ignoreGone(step: () => void): void {
  try {
    step();
  } catch (err) {
    if (!hasErrorCode(err, "ENODEV") && !hasErrorCode(err, "EADDRNOTAVAIL")) throw err;
  }
}

export function bridgeDriverInit(config: BridgeDriverConfig) {
  return (callback: DriverCallback): void => {
    callback.registerDriver("bridge", new BridgeDriver(config), { dataScope: "local", connectivityScope: "local" });
  };
}
