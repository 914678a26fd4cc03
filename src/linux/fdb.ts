// Bridge forwarding database: MAC -> port entries on a bridge, and MAC ->
// remote VTEP entries on a vxlan device (the overlay driver programs these
// from gossip). Neighbour messages of family AF_BRIDGE.
import { AttrMap, attr } from "./netlink/attributes.js";
import type { NlMessage } from "./netlink/message.js";
import type { NetlinkSocket } from "./netlink/socket.js";
import { formatIp, formatMac, parseIp, parseMac } from "../inet/index.js";
import { linkIndex } from "./link.js";
import type { LinkRef } from "./link-kinds.js";
import { ndmsg, neighStateNames, type NeighState } from "./neigh.js";
import {
  AF_BRIDGE,
  NDA_DST,
  NDA_LLADDR,
  NDA_MASTER,
  NDA_PORT,
  NDA_VLAN,
  NDA_VNI,
  NDMSG_LEN,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NTF_MASTER,
  NTF_SELF,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_REACHABLE,
  RTM_DELNEIGH,
  RTM_GETNEIGH,
  RTM_NEWNEIGH,
} from "./netlink/constants.js";

/** "permanent": on a bridge, a local address (delivered to the bridge
 * itself); on a vxlan, a fixed remote. "static": a bridge entry that never
 * ages. "dynamic": one that ages out. */
export type FdbState = "permanent" | "static" | "dynamic";

const STATES: Record<FdbState, number> = {
  permanent: NUD_PERMANENT,
  static: NUD_NOARP,
  dynamic: NUD_REACHABLE,
};

export interface FdbSpec {
  /** The port (a bridge port, or the vxlan device itself). */
  dev: LinkRef;
  mac: string;
  /** Remote VTEP IP (vxlan only). */
  dst?: string;
  vlan?: number;
  /** VNI for a remote on a metadata / multi-VNI vxlan. */
  vni?: number;
  /** Remote UDP port (vxlan only). */
  port?: number;
  /** Entry in the device's own table (vxlan). Default: true unless `master`. */
  self?: boolean;
  /** Entry in the bridge the device is a port of. */
  master?: boolean;
  /** Default "permanent" for self entries (vxlan accepts only permanent or
   * dynamic), "static" for master entries (permanent would make the MAC local). */
  state?: FdbState;
}

/** An FDB entry as the kernel reports it. */
export interface FdbEntry {
  /** ifindex of the port device. */
  index: number;
  mac: string;
  dst: string | undefined;
  vlan: number | undefined;
  vni: number | undefined;
  port: number | undefined;
  /** ifindex of the bridge, for entries of a bridge port. */
  masterIndex: number | undefined;
  /** NUD_* bits. */
  state: number;
  stateNames: NeighState[];
  /** NTF_* bits (self, extern_learn...). */
  flags: number;
  /** In the device's own table (NTF_SELF). */
  self: boolean;
  /** In the bridge's table (the kernel marks these with NDA_MASTER, not NTF_MASTER). */
  master: boolean;
}

export interface FdbFilter {
  /** Entries of this port. */
  link?: LinkRef;
  /** Entries of every port of this bridge. */
  bridge?: LinkRef;
}

function describe(verb: string, spec: FdbSpec): string {
  const dev = typeof spec.dev === "number" ? `#${spec.dev}` : `"${spec.dev}"`;
  return `fdb ${verb} ${spec.mac} dev ${dev}${spec.dst ? ` dst ${spec.dst}` : ""}`;
}

function modify(sock: NetlinkSocket, spec: FdbSpec, type: number, requestFlags: number, verb: string): void {
  const master = spec.master ?? false;
  const self = spec.self ?? !master;
  const flags = (self ? NTF_SELF : 0) | (master ? NTF_MASTER : 0);
  const state = STATES[spec.state ?? (master && !self ? "static" : "permanent")];
  const index = linkIndex(sock, spec.dev);
  const dst = spec.dst === undefined ? undefined : parseIp(spec.dst);
  sock.request(
    type,
    requestFlags,
    ndmsg(AF_BRIDGE, index, state, flags),
    [
      attr.bytes(NDA_LLADDR, parseMac(spec.mac)),
      dst !== undefined && attr.bytes(NDA_DST, dst.bytes),
      spec.vlan !== undefined && attr.u16(NDA_VLAN, spec.vlan),
      spec.vni !== undefined && attr.u32(NDA_VNI, spec.vni),
      spec.port !== undefined && attr.be16(NDA_PORT, spec.port),
    ],
    describe(verb, spec),
  );
}

/** Adds an entry; EEXIST when the MAC (and, on a vxlan, that dst) is present. */
export function fdbAdd(sock: NetlinkSocket, spec: FdbSpec): void {
  modify(sock, spec, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, "add");
}

/** Adds or replaces the entry for the MAC. */
export function fdbReplace(sock: NetlinkSocket, spec: FdbSpec): void {
  modify(sock, spec, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, "replace");
}

/** vxlan: adds one more remote for the MAC (e.g. 00:00:00:00:00:00 flooding
 * to several VTEPs) instead of replacing the existing one. */
export function fdbAppend(sock: NetlinkSocket, spec: FdbSpec): void {
  modify(sock, spec, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND, "append");
}

/** Deletes the entry (on a vxlan with `dst`, only that remote). */
export function fdbDel(sock: NetlinkSocket, spec: FdbSpec): void {
  modify(sock, spec, RTM_DELNEIGH, 0, "del");
}

/** FDB entries of the namespace, optionally of one port or one bridge. */
export function fdbList(sock: NetlinkSocket, filter: FdbFilter = {}): FdbEntry[] {
  const index = filter.link === undefined ? undefined : linkIndex(sock, filter.link);
  const bridge = filter.bridge === undefined ? undefined : linkIndex(sock, filter.bridge);
  return sock
    .dump(RTM_GETNEIGH, ndmsg(AF_BRIDGE, 0, 0, 0), [], "fdb list")
    .filter((m) => m.type === RTM_NEWNEIGH && m.payload.readUInt8(0) === AF_BRIDGE)
    .map(decodeFdb)
    .filter((e) => (index === undefined || e.index === index) && (bridge === undefined || e.masterIndex === bridge));
}

/** Decodes an RTM_NEWNEIGH message of family AF_BRIDGE. */
export function decodeFdb(message: NlMessage): FdbEntry {
  const p = message.payload;
  const attrs = new AttrMap(p, NDMSG_LEN);
  const dst = attrs.get(NDA_DST);
  const state = p.readUInt16LE(8);
  const flags = p.readUInt8(10);
  const masterIndex = attrs.u32(NDA_MASTER);
  return {
    index: p.readInt32LE(4),
    mac: formatMac(attrs.get(NDA_LLADDR) ?? Buffer.alloc(6)),
    dst: dst === undefined ? undefined : formatIp(dst),
    vlan: attrs.u16(NDA_VLAN),
    vni: attrs.u32(NDA_VNI),
    port: attrs.be16(NDA_PORT),
    masterIndex,
    state,
    stateNames: neighStateNames(state),
    flags,
    self: (flags & NTF_SELF) !== 0,
    master: (flags & NTF_MASTER) !== 0 || masterIndex !== undefined,
  };
}
