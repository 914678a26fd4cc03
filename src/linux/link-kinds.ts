// Kind-specific link data (IFLA_LINKINFO / IFLA_INFO_DATA) for the kinds cnm
// drives: veth, bridge, vxlan, macvlan, vlan, dummy. Encoders turn a typed spec into
// attributes; decoders turn a dump back into typed info.
import { AttrMap, attr, type NlAttrItem } from "./netlink/attributes.js";
import { formatIp, parseIp } from "../inet/index.js";
import {
  IFLA_BR_AGEING_TIME,
  IFLA_BR_STP_STATE,
  IFLA_BR_VLAN_FILTERING,
  IFLA_BR_MCAST_SNOOPING,
  IFLA_MACVLAN_MODE,
  IFLA_VLAN_ID,
  IFLA_VLAN_PROTOCOL,
  ETH_P_8021AD,
  ETH_P_8021Q,
  IFLA_VXLAN_GROUP,
  IFLA_VXLAN_GROUP6,
  IFLA_VXLAN_ID,
  IFLA_VXLAN_L2MISS,
  IFLA_VXLAN_L3MISS,
  IFLA_VXLAN_LEARNING,
  IFLA_VXLAN_LINK,
  IFLA_VXLAN_LOCAL,
  IFLA_VXLAN_LOCAL6,
  IFLA_VXLAN_PORT,
  IFLA_VXLAN_PROXY,
  IFLA_VXLAN_TTL,
  IFLA_VXLAN_UDP_CSUM,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PASSTHRU,
  MACVLAN_MODE_PRIVATE,
  MACVLAN_MODE_SOURCE,
  MACVLAN_MODE_VEPA,
} from "./netlink/constants.js";

/** Name or ifindex of a link. Names are looked up in the handle's namespace. */
export type LinkRef = string | number;

/** Options every kind accepts when it is created. */
export interface LinkAddCommon {
  /** Interface name, at most 15 bytes. */
  name: string;
  mtu?: number;
  /** "02:42:ac:11:00:02"; default: the kernel picks a random one. */
  mac?: string;
  /** Bring the link up as it is created (saves a request). */
  up?: boolean;
  /** Attach to this bridge as it is created. When `namespace` is given the
   * master lives there, so it must be an ifindex. */
  master?: LinkRef;
  txQueueLen?: number;
  /** Create the link directly inside the namespace at this path. */
  namespace?: string;
}

/** A veth pair. The peer can be created straight inside another namespace
 * (and named there, e.g. "eth0"), which saves moving and renaming it. */
export interface VethSpec extends LinkAddCommon {
  kind: "veth";
  peerName: string;
  /** Path of the namespace to create the peer in; default: same as the link. */
  peerNamespace?: string;
  peerMac?: string;
  /** Default: `mtu`. */
  peerMtu?: number;
  // No peerUp: the kernel refuses to open the peer before the pair is
  // registered (ENOTCONN); bring it up afterwards from its namespace.
}

export interface BridgeSpec extends LinkAddCommon {
  kind: "bridge";
  /** 802.1Q VLAN filtering. Off is the kernel's default and sends nothing, so
   * that kernels built without VLAN filtering (which refuse the attribute
   * with EOPNOTSUPP even to turn it off) can still create bridges. */
  vlanFiltering?: boolean;
  stp?: boolean;
  /** FDB ageing time in centiseconds (kernel default 30000 = 300 s). */
  ageingTime?: number;
  /** IGMP/MLD snooping; the kernel's default is on. */
  multicastSnooping?: boolean;
}

export interface VxlanSpec extends LinkAddCommon {
  kind: "vxlan";
  /** VXLAN network identifier, 24 bits. */
  vni: number;
  /** Source address of the tunnel. */
  local?: string;
  /** Multicast group for flooding... */
  group?: string;
  /** ...or a single unicast remote endpoint (same kernel attribute as group). */
  remote?: string;
  /** UDP destination port; default 4789 (IANA), not the kernel's legacy 8472. */
  port?: number;
  /** Underlay device (name or ifindex). */
  parent?: LinkRef;
  /** Learn remote MACs from received packets; the kernel's default is on.
   * Overlay networks that program the FDB from gossip turn it off. */
  learning?: boolean;
  ttl?: number;
  /** Answer ARP/ND from the neighbour table (ARP suppression). */
  proxy?: boolean;
  l2miss?: boolean;
  l3miss?: boolean;
  udpCsum?: boolean;
}

export type MacvlanMode = "private" | "vepa" | "bridge" | "passthru" | "source";

export interface MacvlanSpec extends LinkAddCommon {
  kind: "macvlan";
  /** Lower device (name or ifindex), looked up in the handle's namespace even
   * when the macvlan is created in another one. */
  parent: LinkRef;
  /** Default "bridge". */
  mode?: MacvlanMode;
}

export type VlanProtocol = "802.1Q" | "802.1ad";

/** An 802.1q sub-interface ("eth0.10"): frames it sends leave the parent tagged. */
export interface VlanSpec extends LinkAddCommon {
  kind: "vlan";
  /** The link the tagged frames go out of (name or ifindex). */
  parent: LinkRef;
  /** VLAN id, 1-4094 (0 and 4095 are reserved by 802.1Q). */
  vlanId: number;
  /** Tag protocol; default "802.1Q". */
  protocol?: VlanProtocol;
}

export interface DummySpec extends LinkAddCommon {
  kind: "dummy";
}

export type LinkSpec = VethSpec | BridgeSpec | VxlanSpec | MacvlanSpec | VlanSpec | DummySpec;
export type LinkKind = LinkSpec["kind"];

const MACVLAN_MODES: Record<MacvlanMode, number> = {
  private: MACVLAN_MODE_PRIVATE,
  vepa: MACVLAN_MODE_VEPA,
  bridge: MACVLAN_MODE_BRIDGE,
  passthru: MACVLAN_MODE_PASSTHRU,
  source: MACVLAN_MODE_SOURCE,
};

const flagByte = (type: number, on: boolean | undefined): NlAttrItem => on !== undefined && attr.u8(type, on ? 1 : 0);

/** IFLA_INFO_DATA children for a bridge. */
export function bridgeInfoData(spec: BridgeSpec): NlAttrItem[] {
  return [
    spec.vlanFiltering === true && attr.u8(IFLA_BR_VLAN_FILTERING, 1),
    spec.stp !== undefined && attr.u32(IFLA_BR_STP_STATE, spec.stp ? 1 : 0),
    spec.ageingTime !== undefined && attr.u32(IFLA_BR_AGEING_TIME, spec.ageingTime),
    spec.multicastSnooping !== undefined && attr.u8(IFLA_BR_MCAST_SNOOPING, spec.multicastSnooping ? 1 : 0),
  ];
}

/** IFLA_INFO_DATA children for a vxlan; `parentIndex` is the resolved parent. */
export function vxlanInfoData(spec: VxlanSpec, parentIndex: number | undefined): NlAttrItem[] {
  if (spec.group !== undefined && spec.remote !== undefined) {
    throw new TypeError(`vxlan "${spec.name}": give either group or remote, not both`);
  }
  const peer = spec.group ?? spec.remote;
  const peerIp = peer === undefined ? undefined : parseIp(peer);
  const localIp = spec.local === undefined ? undefined : parseIp(spec.local);
  return [
    attr.u32(IFLA_VXLAN_ID, spec.vni),
    peerIp && attr.bytes(peerIp.family === 4 ? IFLA_VXLAN_GROUP : IFLA_VXLAN_GROUP6, peerIp.bytes),
    localIp && attr.bytes(localIp.family === 4 ? IFLA_VXLAN_LOCAL : IFLA_VXLAN_LOCAL6, localIp.bytes),
    parentIndex !== undefined && attr.u32(IFLA_VXLAN_LINK, parentIndex),
    spec.ttl !== undefined && attr.u8(IFLA_VXLAN_TTL, spec.ttl),
    flagByte(IFLA_VXLAN_LEARNING, spec.learning),
    attr.be16(IFLA_VXLAN_PORT, spec.port ?? 4789),
    flagByte(IFLA_VXLAN_PROXY, spec.proxy),
    flagByte(IFLA_VXLAN_L2MISS, spec.l2miss),
    flagByte(IFLA_VXLAN_L3MISS, spec.l3miss),
    flagByte(IFLA_VXLAN_UDP_CSUM, spec.udpCsum),
  ];
}

export function macvlanInfoData(spec: MacvlanSpec): NlAttrItem[] {
  return [attr.u32(IFLA_MACVLAN_MODE, MACVLAN_MODES[spec.mode ?? "bridge"])];
}

const VLAN_PROTOCOLS: Record<VlanProtocol, number> = { "802.1Q": ETH_P_8021Q, "802.1ad": ETH_P_8021AD };

export function vlanInfoData(spec: VlanSpec): NlAttrItem[] {
  if (!Number.isInteger(spec.vlanId) || spec.vlanId < 1 || spec.vlanId > 4094) {
    throw new TypeError(`vlan "${spec.name}": vlan id ${spec.vlanId} is out of range 1-4094`);
  }
  return [
    attr.u16(IFLA_VLAN_ID, spec.vlanId),
    spec.protocol !== undefined && attr.be16(IFLA_VLAN_PROTOCOL, VLAN_PROTOCOLS[spec.protocol]),
  ];
}

/** Decoded vxlan parameters. */
export interface VxlanInfo {
  vni: number;
  /** Multicast group, when the destination is one. */
  group: string | undefined;
  /** Unicast remote, when the destination is one. */
  remote: string | undefined;
  local: string | undefined;
  port: number | undefined;
  parentIndex: number | undefined;
  learning: boolean | undefined;
  ttl: number | undefined;
  proxy: boolean | undefined;
  l2miss: boolean | undefined;
  l3miss: boolean | undefined;
}

export interface BridgeInfo {
  vlanFiltering: boolean | undefined;
  stp: boolean | undefined;
  ageingTime: number | undefined;
}

export interface MacvlanInfo {
  mode: MacvlanMode | undefined;
}

export interface VlanInfo {
  vlanId: number;
  /** undefined for a tag protocol other than 802.1Q and 802.1ad. */
  protocol: VlanProtocol | undefined;
}

const bool = (v: number | undefined): boolean | undefined => (v === undefined ? undefined : v !== 0);

export function decodeVxlan(data: AttrMap): VxlanInfo {
  const dest = data.get(IFLA_VXLAN_GROUP) ?? data.get(IFLA_VXLAN_GROUP6);
  const destText = dest === undefined || dest.every((b) => b === 0) ? undefined : formatIp(dest);
  const multicast = dest !== undefined && (dest.length === 4 ? (dest[0]! & 0xf0) === 0xe0 : dest[0] === 0xff);
  const local = data.get(IFLA_VXLAN_LOCAL) ?? data.get(IFLA_VXLAN_LOCAL6);
  return {
    vni: data.u32(IFLA_VXLAN_ID) ?? 0,
    group: multicast ? destText : undefined,
    remote: multicast ? undefined : destText,
    local: local === undefined || local.every((b) => b === 0) ? undefined : formatIp(local),
    port: data.be16(IFLA_VXLAN_PORT),
    parentIndex: data.u32(IFLA_VXLAN_LINK) || undefined,
    learning: bool(data.u8(IFLA_VXLAN_LEARNING)),
    ttl: data.u8(IFLA_VXLAN_TTL),
    proxy: bool(data.u8(IFLA_VXLAN_PROXY)),
    l2miss: bool(data.u8(IFLA_VXLAN_L2MISS)),
    l3miss: bool(data.u8(IFLA_VXLAN_L3MISS)),
  };
}

export function decodeBridge(data: AttrMap): BridgeInfo {
  return {
    vlanFiltering: bool(data.u8(IFLA_BR_VLAN_FILTERING)),
    stp: bool(data.u32(IFLA_BR_STP_STATE)),
    ageingTime: data.u32(IFLA_BR_AGEING_TIME),
  };
}

export function decodeMacvlan(data: AttrMap): MacvlanInfo {
  const mode = data.u32(IFLA_MACVLAN_MODE);
  const name = (Object.keys(MACVLAN_MODES) as MacvlanMode[]).find((m) => MACVLAN_MODES[m] === mode);
  return { mode: name };
}

export function decodeVlan(data: AttrMap): VlanInfo {
  const proto = data.be16(IFLA_VLAN_PROTOCOL) ?? ETH_P_8021Q;
  const name = (Object.keys(VLAN_PROTOCOLS) as VlanProtocol[]).find((p) => VLAN_PROTOCOLS[p] === proto);
  return { vlanId: data.u16(IFLA_VLAN_ID) ?? 0, protocol: name };
}
