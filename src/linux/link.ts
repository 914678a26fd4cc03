// Links (network interfaces): create, delete, change, get and list, over
// rtnetlink (RTM_NEWLINK / DELLINK / SETLINK / GETLINK with struct ifinfomsg).
import { closeSync, openSync } from "node:fs";
import { AttrMap, attr, encodeAttrs, type NlAttrItem } from "./netlink/attributes.js";
import type { NlMessage } from "./netlink/message.js";
import type { NetlinkSocket } from "./netlink/socket.js";
import { LinuxError } from "./errors.js";
import { formatMac, parseMac } from "../inet/index.js";
import {
  bridgeInfoData,
  decodeBridge,
  decodeMacvlan,
  decodeVlan,
  decodeVxlan,
  macvlanInfoData,
  vlanInfoData,
  vxlanInfoData,
  type BridgeInfo,
  type LinkRef,
  type LinkSpec,
  type MacvlanInfo,
  type VlanInfo,
  type VxlanInfo,
} from "./link-kinds.js";
import {
  AF_UNSPEC,
  IFF_LOWER_UP,
  IFF_UP,
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_BROADCAST,
  IFLA_EXT_MASK,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_BRPORT_MODE,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_LINK_NETNSID,
  IFLA_MASTER,
  IFLA_AF_SPEC,
  IFLA_INET6_ADDR_GEN_MODE,
  AF_INET6,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_OPERSTATE,
  IFLA_TXQLEN,
  NLM_F_CREATE,
  NLM_F_EXCL,
  OPER_STATES,
  RTEXT_FILTER_SKIP_STATS,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTM_SETLINK,
  VETH_INFO_PEER,
} from "./netlink/constants.js";

const ENODEV = 19;
const IFNAMSIZ = 16;

export type OperState = (typeof OPER_STATES)[number];

/** A link as the kernel reports it. */
export interface Link {
  index: number;
  name: string;
  /** "veth", "bridge", "vxlan", "macvlan", "vlan", "dummy"...; undefined for devices
   * without rtnetlink kind (lo, physical NICs). */
  kind: string | undefined;
  /** IFF_* flags. */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Carrier present (IFF_LOWER_UP). */
  lowerUp: boolean;
  operState: OperState;
  mtu: number;
  mac: string | undefined;
  broadcast: string | undefined;
  txQueueLen: number | undefined;
  alias: string | undefined;
  /** ifindex of the bridge (or bond) this link is attached to. */
  masterIndex: number | undefined;
  /** Kind of the master's port ("bridge" for a bridge port). */
  slaveKind: string | undefined;
  /** IFLA_LINK: the parent (macvlan, vlan, vxlan) or, for a veth, the peer's ifindex,
   * which lives in the namespace `linkNetnsId` when that is set. */
  parentIndex: number | undefined;
  /** Namespace id (as seen from here) of the namespace parentIndex lives in. */
  linkNetnsId: number | undefined;
  /** ARPHRD_* device type (1 = ether, 772 = loopback). */
  type: number;
  vxlan?: VxlanInfo;
  bridge?: BridgeInfo;
  macvlan?: MacvlanInfo;
  vlan?: VlanInfo;
}

/** Changes to an existing link, all applied by one request. The kernel
 * applies a namespace move first, then the name, MAC, MTU, master and finally
 * up/down, so "rename to eth0, set MAC and MTU, bring up" is one call. */
export interface LinkChanges {
  up?: boolean;
  mtu?: number;
  name?: string;
  mac?: string;
  /** Attach to this bridge; null detaches ("nomaster"). */
  master?: LinkRef | null;
  /** Move to the namespace at this path. */
  namespace?: string;
  txQueueLen?: number;
  alias?: string;
  /**
   * How IPv6 link-local addresses are made; "none" makes none, so the link
   * sends no DAD, MLD or router solicitation when it comes up. The kernel
   * applies this after up/down in the same request: set it before bringing
   * the link up, in an earlier call.
   */
  ipv6AddrGenMode?: Ipv6AddrGenMode;
}

/** Options of a link as a port of its bridge (`ip link set … type bridge_slave`). */
export interface BridgePortChanges {
  /** Frames may leave by the port they came in (hairpin mode). */
  hairpin?: boolean;
}

/** IN6_ADDR_GEN_MODE_* values. */
const ADDR_GEN_MODES = { eui64: 0, none: 1, "stable-privacy": 2, random: 3 } as const;
export type Ipv6AddrGenMode = keyof typeof ADDR_GEN_MODES;

/** struct ifinfomsg: family, type, index, flags, change mask. */
function ifinfomsg(index: number, up?: boolean): Buffer {
  const b = Buffer.alloc(IFINFOMSG_LEN);
  b.writeUInt8(AF_UNSPEC, 0);
  b.writeInt32LE(index, 4);
  if (up !== undefined) {
    b.writeUInt32LE(up ? IFF_UP : 0, 8);
    b.writeUInt32LE(IFF_UP, 12);
  }
  return b;
}

function checkName(name: string): void {
  const length = Buffer.byteLength(name);
  if (length === 0 || length >= IFNAMSIZ || /[\s/:]/.test(name)) {
    throw new TypeError(`invalid interface name "${name}" (1-15 bytes, no whitespace, '/' or ':')`);
  }
}

function describe(ref: LinkRef): string {
  return typeof ref === "number" ? `#${ref}` : `"${ref}"`;
}

/** Selects a link in a request: by index in the header, else by IFLA_IFNAME. */
function selector(ref: LinkRef): { index: number; nameAttr: NlAttrItem } {
  if (typeof ref === "number") return { index: ref, nameAttr: undefined };
  checkName(ref);
  return { index: 0, nameAttr: attr.str(IFLA_IFNAME, ref) };
}

/** Opens a namespace file for IFLA_NET_NS_FD; the caller closes it. */
function withNamespaceFds<T>(paths: (string | undefined)[], run: (fds: (number | undefined)[]) => T): T {
  const fds: (number | undefined)[] = [];
  try {
    for (const path of paths) fds.push(path === undefined ? undefined : openSync(path, "r"));
    return run(fds);
  } finally {
    for (const fd of fds) if (fd !== undefined) closeSync(fd);
  }
}

/** ifindex of a link (a number is returned as is). */
export function linkIndex(sock: NetlinkSocket, ref: LinkRef): number {
  return typeof ref === "number" ? ref : linkGet(sock, ref).index;
}

/** Creates a link; throws EEXIST when the name is taken. */
export function linkAdd(sock: NetlinkSocket, spec: LinkSpec): void {
  checkName(spec.name);
  const operation = `link add "${spec.name}"`;
  if (spec.namespace !== undefined && typeof spec.master === "string") {
    throw new TypeError(`${operation}: master must be an ifindex when the link is created in another namespace`);
  }
  const master = spec.master === undefined ? undefined : linkIndex(sock, spec.master);
  let parent: number | undefined;
  if (spec.kind === "macvlan" || spec.kind === "vlan") parent = linkIndex(sock, spec.parent);
  if (spec.kind === "vxlan" && spec.parent !== undefined) parent = linkIndex(sock, spec.parent);
  const peerNamespace = spec.kind === "veth" ? spec.peerNamespace : undefined;

  withNamespaceFds([spec.namespace, peerNamespace], ([nsFd, peerNsFd]) => {
    let data: NlAttrItem[] = [];
    switch (spec.kind) {
      case "veth": {
        checkName(spec.peerName);
        const peerMtu = spec.peerMtu ?? spec.mtu;
        // VETH_INFO_PEER holds a whole ifinfomsg plus the peer's attributes.
        const peer = Buffer.concat([
          ifinfomsg(0),
          encodeAttrs([
            attr.str(IFLA_IFNAME, spec.peerName),
            peerNsFd !== undefined && attr.u32(IFLA_NET_NS_FD, peerNsFd),
            peerMtu !== undefined && attr.u32(IFLA_MTU, peerMtu),
            spec.peerMac !== undefined && attr.bytes(IFLA_ADDRESS, parseMac(spec.peerMac)),
          ]),
        ]);
        data = [attr.bytes(VETH_INFO_PEER, peer)];
        break;
      }
      case "bridge":
        data = bridgeInfoData(spec);
        break;
      case "vxlan":
        data = vxlanInfoData(spec, parent);
        break;
      case "macvlan":
        data = macvlanInfoData(spec);
        break;
      case "vlan":
        data = vlanInfoData(spec);
        break;
      case "dummy":
        break;
    }
    sock.request(
      RTM_NEWLINK,
      NLM_F_CREATE | NLM_F_EXCL,
      ifinfomsg(0, spec.up),
      [
        attr.str(IFLA_IFNAME, spec.name),
        spec.mtu !== undefined && attr.u32(IFLA_MTU, spec.mtu),
        spec.mac !== undefined && attr.bytes(IFLA_ADDRESS, parseMac(spec.mac)),
        spec.txQueueLen !== undefined && attr.u32(IFLA_TXQLEN, spec.txQueueLen),
        master !== undefined && attr.u32(IFLA_MASTER, master),
        nsFd !== undefined && attr.u32(IFLA_NET_NS_FD, nsFd),
        (spec.kind === "macvlan" || spec.kind === "vlan") && parent !== undefined && attr.u32(IFLA_LINK, parent),
        attr.nested(IFLA_LINKINFO, [attr.str(IFLA_INFO_KIND, spec.kind), data.length > 0 && attr.nested(IFLA_INFO_DATA, data)]),
      ],
      operation,
    );
  });
}

/** Deletes a link (for a veth, the peer goes too). Throws ENODEV when absent. */
export function linkDel(sock: NetlinkSocket, ref: LinkRef): void {
  const { index, nameAttr } = selector(ref);
  sock.request(RTM_DELLINK, 0, ifinfomsg(index), [nameAttr], `link del ${describe(ref)}`);
}

/** Applies changes to a link in one request. */
export function linkSet(sock: NetlinkSocket, ref: LinkRef, changes: LinkChanges): void {
  const operation = `link set ${describe(ref)}`;
  if (changes.name !== undefined) checkName(changes.name);
  if (changes.namespace !== undefined && typeof changes.master === "string") {
    throw new TypeError(`${operation}: master must be an ifindex when moving to another namespace`);
  }
  // A rename needs the index: by name, IFLA_IFNAME would both select the link
  // and give its new name.
  const { index, nameAttr } =
    changes.name !== undefined && typeof ref === "string" ? { index: linkIndex(sock, ref), nameAttr: undefined } : selector(ref);
  const master = changes.master === undefined ? undefined : changes.master === null ? 0 : linkIndex(sock, changes.master);
  withNamespaceFds([changes.namespace], ([nsFd]) => {
    sock.request(
      RTM_SETLINK,
      0,
      ifinfomsg(index, changes.up),
      [
        nameAttr,
        changes.name !== undefined && attr.str(IFLA_IFNAME, changes.name),
        nsFd !== undefined && attr.u32(IFLA_NET_NS_FD, nsFd),
        changes.mac !== undefined && attr.bytes(IFLA_ADDRESS, parseMac(changes.mac)),
        changes.mtu !== undefined && attr.u32(IFLA_MTU, changes.mtu),
        changes.txQueueLen !== undefined && attr.u32(IFLA_TXQLEN, changes.txQueueLen),
        changes.alias !== undefined && attr.str(IFLA_IFALIAS, changes.alias),
        master !== undefined && attr.u32(IFLA_MASTER, master),
        changes.ipv6AddrGenMode !== undefined &&
          attr.nested(IFLA_AF_SPEC, [attr.nested(AF_INET6, [attr.u8(IFLA_INET6_ADDR_GEN_MODE, ADDR_GEN_MODES[changes.ipv6AddrGenMode])])]),
      ],
      operation,
    );
  });
}

/**
 * Changes a link's options as a port of its bridge. The kernel hands these to
 * the bridge only on RTM_NEWLINK (its slave changelink), never on
 * RTM_SETLINK, so this is a NEWLINK without NLM_F_CREATE, as iproute2 sends.
 */
export function linkSetBridgePort(sock: NetlinkSocket, ref: LinkRef, changes: BridgePortChanges): void {
  const { index, nameAttr } = selector(ref);
  sock.request(
    RTM_NEWLINK,
    0,
    ifinfomsg(index),
    [
      nameAttr,
      attr.nested(IFLA_LINKINFO, [
        attr.str(IFLA_INFO_SLAVE_KIND, "bridge"),
        attr.nested(IFLA_INFO_SLAVE_DATA, [changes.hairpin !== undefined && attr.u8(IFLA_BRPORT_MODE, changes.hairpin ? 1 : 0)]),
      ]),
    ],
    `link set ${describe(ref)} type bridge_slave`,
  );
}

/** One link by name or index; throws ENODEV when absent. */
export function linkGet(sock: NetlinkSocket, ref: LinkRef): Link {
  const { index, nameAttr } = selector(ref);
  const replies = sock.request(
    RTM_GETLINK,
    0,
    ifinfomsg(index),
    [nameAttr, attr.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)],
    `link get ${describe(ref)}`,
  );
  const reply = replies.find((m) => m.type === RTM_NEWLINK);
  if (reply === undefined) throw new LinuxError(`link get ${describe(ref)}`, ENODEV);
  return decodeLink(reply);
}

/** Like linkGet, but undefined when the link does not exist. */
export function linkFind(sock: NetlinkSocket, ref: LinkRef): Link | undefined {
  try {
    return linkGet(sock, ref);
  } catch (error) {
    if (error instanceof LinuxError && error.code === "ENODEV") return undefined;
    throw error;
  }
}

/** Every link of the namespace, in ifindex order. */
export function linkList(sock: NetlinkSocket): Link[] {
  const messages = sock.dump(RTM_GETLINK, ifinfomsg(0), [attr.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)], "link list");
  return messages.filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
}

/** Decodes an RTM_NEWLINK message (reply, dump entry or notification). */
export function decodeLink(message: NlMessage): Link {
  const p = message.payload;
  const flags = p.readUInt32LE(8);
  const attrs = new AttrMap(p, IFINFOMSG_LEN);
  const info = attrs.nested(IFLA_LINKINFO);
  const kind = info?.str(IFLA_INFO_KIND);
  const data = info?.nested(IFLA_INFO_DATA);
  const mac = attrs.get(IFLA_ADDRESS);
  const broadcast = attrs.get(IFLA_BROADCAST);
  const link: Link = {
    index: p.readInt32LE(4),
    name: attrs.str(IFLA_IFNAME) ?? "",
    kind,
    flags,
    up: (flags & IFF_UP) !== 0,
    lowerUp: (flags & IFF_LOWER_UP) !== 0,
    operState: OPER_STATES[attrs.u8(IFLA_OPERSTATE) ?? 0] ?? "unknown",
    mtu: attrs.u32(IFLA_MTU) ?? 0,
    mac: mac === undefined ? undefined : formatMac(mac),
    broadcast: broadcast === undefined ? undefined : formatMac(broadcast),
    txQueueLen: attrs.u32(IFLA_TXQLEN),
    alias: attrs.str(IFLA_IFALIAS),
    masterIndex: attrs.u32(IFLA_MASTER) || undefined,
    slaveKind: info?.str(IFLA_INFO_SLAVE_KIND),
    parentIndex: attrs.u32(IFLA_LINK) || undefined,
    linkNetnsId: attrs.s32(IFLA_LINK_NETNSID),
    type: p.readUInt16LE(2),
  };
  if (data !== undefined) {
    if (kind === "vxlan") link.vxlan = decodeVxlan(data);
    else if (kind === "bridge") link.bridge = decodeBridge(data);
    else if (kind === "macvlan") link.macvlan = decodeMacvlan(data);
    else if (kind === "vlan") link.vlan = decodeVlan(data);
  }
  return link;
}
