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
import { ConflictError, InvalidParameterError, NotFoundError } from "../../errors.js";
import { cidrAddress, macFromIPv4, parseIpValue, prefixContainsIp, prefixesOverlap, randomLocalMac, tryParsePrefix } from "../../inet/index.js";
import { hasErrorCode, NetlinkHandle, OWN_NETNS_PATH, parseIp } from "../../linux/index.js";
import { BaseDriver } from "../base-driver.js";
import { macvlanLinkName } from "./names.js";
import { parseMacvlanNetworkConfig, type MacvlanNetworkConfig } from "./network-config.js";
import { ensureParentLink, removeParentLink } from "./parent-link.js";

export interface MacvlanDriverConfig {
  /** The controller's prefix, carried by the parent links this driver makes. */
  readonly prefix: string;
  /** Netlink handle in the host namespace (where parents live); default: a new one. */
  readonly host?: NetlinkHandle;
}

interface MacvlanEndpoint {
  readonly id: string;
  readonly mac: string;
  /** Plain addresses, for picking the gateway of their subnet. */
  readonly ipv4?: string;
  readonly ipv6?: string;
  /** Name of the macvlan as created inside the sandbox, until the sandbox renames it. */
  readonly linkName: string;
  /** The sandbox the macvlan was created in, while joined. */
  sboxKey?: string;
  /** Joined for a container engine: made in the host's namespace, removed at deleteEndpoint once the engine hands it back. */
  engineMoved?: boolean;
}

interface MacvlanNetwork {
  readonly config: MacvlanNetworkConfig;
  /** True when the driver made the parent (sub-interface or dummy): it goes with the last network on it. */
  readonly ownsParent: boolean;
  readonly endpoints: Map<string, MacvlanEndpoint>;
}

/**
 * The macvlan driver: endpoints are macvlan links on a host link (the
 * parent), so sandboxes sit directly on the parent's segment with their own
 * MACs: no bridge, no NAT, no published ports. The parent is the user's
 * link, an 802.1q sub-interface the driver makes ("eth0.10"), or, without a
 * parent, a dummy link that makes the network internal. Docker's options and
 * rules: `parent`, `macvlan_mode` (bridge, private, vepa, passthru), one
 * passthru network per parent, with one endpoint.
 */
export class MacvlanDriver extends BaseDriver {
  private readonly networks = new Map<string, MacvlanNetwork>();
  private readonly host: NetlinkHandle;
  /** When each parent's passthru endpoint last left (see createLink). */
  private readonly passthruLeft = new Map<string, number>();

  constructor(private readonly cfg: MacvlanDriverConfig) {
    super();
    this.host = cfg.host ?? NetlinkHandle.open();
  }

  type(): string {
    return "macvlan";
  }

  async createNetwork(nid: string, options: NetworkOptions, _nInfo: NetworkInfo, v4: readonly IpamData[], v6: readonly IpamData[]): Promise<void> {
    if (this.networks.has(nid)) return;
    const config = parseMacvlanNetworkConfig(this.cfg.prefix, nid, options, v4, v6);
    const sharing = [...this.networks.values()].filter((n) => n.config.parent === config.parent);
    for (const other of sharing) checkSharedParent(config, other.config);
    const parent = ensureParentLink(this.host, this.cfg.prefix, config);
    // A parent made for another network is as much this one's: the last network on it removes it.
    const ownsParent = parent.owned || sharing.some((n) => n.ownsParent);
    this.networks.set(nid, { config, ownsParent, endpoints: new Map() });
  }

  async deleteNetwork(nid: string): Promise<void> {
    const n = this.networks.get(nid);
    if (!n) return;
    this.networks.delete(nid);
    // Endpoints' macvlans live in sandboxes and went with their leave; the parent is all there is.
    const stillUsed = [...this.networks.values()].some((o) => o.config.parent === n.config.parent);
    if (n.ownsParent && !stillUsed) removeParentLink(this.host, n.config.parent);
  }

  async createEndpoint(nid: string, eid: string, ifInfo: InterfaceInfo, _options: EndpointOptions): Promise<void> {
    const n = this.network(nid);
    // Published ports are ignored, as Docker does (it logs a warning): nothing stands between
    // the endpoint and its segment to map them.
    if (n.config.mode === "passthru" && n.endpoints.size > 0) {
      throw new ConflictError(`macvlan network ${n.config.name} is in passthru mode: its parent ${n.config.parent} takes a single endpoint`);
    }
    const ipv4 = cidrAddress(ifInfo.address());
    const ipv6 = cidrAddress(ifInfo.addressIPv6());
    if (!ipv4 && !ipv6) throw new InvalidParameterError(`macvlan endpoint ${eid} has no address`);
    let mac = ifInfo.macAddress();
    if (!mac) {
      mac = n.config.mode === "passthru" ? this.passthruMac(n) : ipv4 ? macFromIPv4(parseIp(ipv4).bytes) : randomLocalMac();
      ifInfo.setMacAddress(mac);
    }
    n.endpoints.set(eid, {
      id: eid,
      mac,
      linkName: macvlanLinkName(this.cfg.prefix, eid),
      ...(ipv4 ? { ipv4 } : {}),
      ...(ipv6 ? { ipv6 } : {}),
    });
  }

  /**
   * A passthru macvlan is the parent's MAC: the kernel gives it the parent's,
   * and setting another one changes the parent's own. The endpoint takes the
   * parent's, so connecting leaves the host's NIC as it was.
   */
  private passthruMac(n: MacvlanNetwork): string {
    const mac = this.host.linkFind(n.config.parent)?.mac;
    if (!mac) throw new NotFoundError(`the parent interface ${n.config.parent} of macvlan network ${n.config.name} is no longer on the host`);
    return mac;
  }

  async deleteEndpoint(nid: string, eid: string): Promise<void> {
    const n = this.networks.get(nid);
    const ep = n?.endpoints.get(eid);
    // An engine hands its container's macvlan back after leave, under the name the join gave.
    if (ep?.engineMoved) deleteInSandbox(OWN_NETNS_PATH, ep.linkName);
    n?.endpoints.delete(eid);
  }

  override async endpointOperInfo(nid: string, eid: string): Promise<Record<string, unknown>> {
    return { "com.docker.network.endpoint.macaddress": this.endpoint(this.network(nid), eid).mac };
  }

  async join(nid: string, eid: string, sboxKey: string, jinfo: JoinInfo, options: JoinOptions): Promise<void> {
    const n = this.network(nid);
    const ep = this.endpoint(n, eid);
    const engine = options.engineMovesInterface === true;
    // On restore the macvlan survived in the sandbox (renamed ethN): nothing to make.
    // An engine's sandbox may not exist yet: its macvlan waits in the host's namespace for the engine to move it.
    if (!options.restore) await this.createLink(n, ep, engine ? OWN_NETNS_PATH : sboxKey);
    ep.sboxKey = sboxKey;
    ep.engineMoved = engine;
    jinfo.interfaceName().setNames(ep.linkName, n.config.containerIfacePrefix);
    if (n.config.internal) {
      jinfo.disableGatewayService();
      return;
    }
    const gw4 = ep.ipv4 ? gatewayFor(n.config.subnetsV4, n.config.gatewaysV4, ep.ipv4) : undefined;
    const gw6 = ep.ipv6 ? gatewayFor(n.config.subnetsV6, n.config.gatewaysV6, ep.ipv6) : undefined;
    if (gw4) jinfo.setGateway(gw4);
    if (gw6) jinfo.setGatewayIPv6(gw6);
  }

  /**
   * Creates the macvlan directly inside the sandbox's namespace: moving it
   * there afterwards would cost the kernel an RCU grace period per attach.
   * The parent is still looked up in the host's namespace.
   */
  private async createLink(n: MacvlanNetwork, ep: MacvlanEndpoint, sboxKey: string): Promise<void> {
    if (!this.host.linkFind(n.config.parent)) {
      throw new NotFoundError(`the parent interface ${n.config.parent} of macvlan network ${n.config.name} is no longer on the host`);
    }
    const spec = {
      kind: "macvlan" as const,
      name: ep.linkName,
      parent: n.config.parent,
      mode: n.config.mode,
      mac: ep.mac,
      namespace: sboxKey,
      ...(n.config.mtu !== undefined ? { mtu: n.config.mtu } : {}),
    };
    try {
      for (;;) {
        try {
          this.host.linkAdd(spec);
          return;
        } catch (err) {
          if (hasErrorCode(err, "EEXIST")) {
            // Left in the sandbox by a join an earlier run did not finish.
            deleteInSandbox(sboxKey, ep.linkName);
            continue;
          }
          // A passthru macvlan whose sandbox was just destroyed still holds the parent until
          // the kernel finishes tearing the namespace down, in the background; until then
          // the parent refuses other macvlans with EINVAL. Wait for it, a few seconds at most.
          const left = this.passthruLeft.get(n.config.parent);
          if (!hasErrorCode(err, "EINVAL") || left === undefined || Date.now() - left > PASSTHRU_RELEASE_MS) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } catch (err) {
      // The kernel's answer when the parent is taken by a passthru macvlan (or an ipvlan).
      if (hasErrorCode(err, "EBUSY")) {
        throw new ConflictError(`the parent interface ${n.config.parent} of macvlan network ${n.config.name} is in exclusive use (passthru)`, { cause: err });
      }
      throw err;
    }
  }

  async leave(nid: string, eid: string): Promise<void> {
    const n = this.network(nid);
    const ep = this.endpoint(n, eid);
    if (ep.engineMoved) {
      if (n.config.mode === "passthru") this.passthruLeft.set(n.config.parent, Date.now());
      delete ep.sboxKey;
      return;
    }
    // The sandbox deleted its ethN already; what can remain is a macvlan a join undone
    // half-way left under its own name. A destroyed namespace took it with it.
    if (ep.sboxKey && existsSync(ep.sboxKey)) deleteInSandbox(ep.sboxKey, ep.linkName);
    if (n.config.mode === "passthru") this.passthruLeft.set(n.config.parent, Date.now());
    delete ep.sboxKey;
  }

  close(): void {
    if (!this.cfg.host) this.host.close();
  }

  private network(nid: string): MacvlanNetwork {
    const n = this.networks.get(nid);
    if (!n) throw new NotFoundError(`macvlan network ${nid} not found`);
    return n;
  }

  private endpoint(n: MacvlanNetwork, eid: string): MacvlanEndpoint {
    const ep = n.endpoints.get(eid);
    if (!ep) throw new NotFoundError(`macvlan endpoint ${eid} not found in network ${n.config.name}`);
    return ep;
  }
}

/**
 * Docker's rules for networks sharing a parent: passthru gives the parent to
 * one network only. cnm also refuses overlapping subnets on one parent: two
 * networks would then claim the same addresses on one segment.
 */
function checkSharedParent(config: MacvlanNetworkConfig, other: MacvlanNetworkConfig): void {
  if (config.mode === "passthru") {
    throw new ConflictError(`cannot use mode passthru, macvlan network ${other.name} is already using parent interface ${config.parent}`);
  }
  if (other.mode === "passthru") {
    throw new ConflictError(`macvlan network ${other.name} is already using parent interface ${config.parent} in mode passthru`);
  }
  for (const mine of [...config.subnetsV4, ...config.subnetsV6]) {
    for (const theirs of [...other.subnetsV4, ...other.subnetsV6]) {
      const a = tryParsePrefix(mine);
      const b = tryParsePrefix(theirs);
      if (a && b && a.family === b.family && prefixesOverlap(a, b)) {
        throw new ConflictError(`subnet ${mine} overlaps subnet ${theirs} of macvlan network ${other.name} on the same parent interface ${config.parent}`);
      }
    }
  }
}

/** The gateway of the subnet holding the address, if it has one. */
function gatewayFor(subnets: readonly string[], gateways: readonly string[], ip: string): string | undefined {
  const value = parseIpValue(ip);
  if (!value) return undefined;
  return gateways.find((gw) => {
    const g = parseIpValue(gw);
    return subnets.some((s) => {
      const p = tryParsePrefix(s);
      return p !== undefined && g !== undefined && prefixContainsIp(p, value) && prefixContainsIp(p, g);
    });
  });
}

function deleteInSandbox(sboxKey: string, name: string): void {
  const ns = NetlinkHandle.open(sboxKey);
  try {
    ns.linkDel(name);
  } catch (err) {
    if (!hasErrorCode(err, "ENODEV")) throw err;
  } finally {
    ns.close();
  }
}

/** How long a parent may stay held by a passthru macvlan after its sandbox went (kernel teardown is asynchronous). */
const PASSTHRU_RELEASE_MS = 5000;

export const MACVLAN_CAPABILITY = { dataScope: "local", connectivityScope: "global" } as const;

/** Registers the macvlan driver: local data (each host its own networks), global connectivity (the segment), as Docker. */
export function macvlanDriverInit(config: MacvlanDriverConfig | MacvlanDriver) {
  return (callback: DriverCallback): void => {
    callback.registerDriver("macvlan", config instanceof MacvlanDriver ? config : new MacvlanDriver(config), MACVLAN_CAPABILITY);
  };
}
