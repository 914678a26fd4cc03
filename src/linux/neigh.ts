// Neighbours (ARP / NDP entries: IP -> MAC on a device), over RTM_NEWNEIGH /
// DELNEIGH / GETNEIGH with struct ndmsg. The bridge FDB shares the message
// format with family AF_BRIDGE; see fdb.ts.
import { AttrMap, attr } from "./netlink/attributes.js";
import type { NlMessage } from "./netlink/message.js";
import type { NetlinkSocket } from "./netlink/socket.js";
import { formatIp, formatMac, parseIp, parseMac, type IpFamily } from "../inet/index.js";
import { linkIndex } from "./link.js";
import type { LinkRef } from "./link-kinds.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  NDA_DST,
  NDA_LLADDR,
  NDMSG_LEN,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NTF_PROXY,
  NTF_ROUTER,
  NUD_DELAY,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_NOARP,
  NUD_NONE,
  NUD_PERMANENT,
  NUD_PROBE,
  NUD_REACHABLE,
  NUD_STALE,
  RTM_DELNEIGH,
  RTM_GETNEIGH,
  RTM_NEWNEIGH,
} from "./netlink/constants.js";

export type NeighState =
  | "none"
  | "incomplete"
  | "reachable"
  | "stale"
  | "delay"
  | "probe"
  | "failed"
  | "noarp"
  | "permanent";

export const NEIGH_STATES: Record<NeighState, number> = {
  none: NUD_NONE,
  incomplete: NUD_INCOMPLETE,
  reachable: NUD_REACHABLE,
  stale: NUD_STALE,
  delay: NUD_DELAY,
  probe: NUD_PROBE,
  failed: NUD_FAILED,
  noarp: NUD_NOARP,
  permanent: NUD_PERMANENT,
};

/** Names of the NUD_* bits set in `state`, e.g. ["permanent"]. */
export function neighStateNames(state: number): NeighState[] {
  if (state === NUD_NONE) return ["none"];
  return (Object.keys(NEIGH_STATES) as NeighState[]).filter((n) => n !== "none" && (state & NEIGH_STATES[n]) !== 0);
}

export interface NeighSpec {
  dev: LinkRef;
  /** IPv4 or IPv6 address of the neighbour. */
  ip: string;
  /** Its MAC; required to add or replace. */
  mac?: string;
  /** Default "permanent" (never expires, never re-resolved). */
  state?: NeighState;
  /** The neighbour is an IPv6 router. */
  router?: boolean;
  /** A proxy ARP/NDP entry rather than a neighbour. */
  proxy?: boolean;
}

/** A neighbour entry as the kernel reports it. */
export interface Neigh {
  /** ifindex of the device. */
  index: number;
  family: IpFamily;
  ip: string;
  mac: string | undefined;
  /** NUD_* bits. */
  state: number;
  stateNames: NeighState[];
  /** NTF_* bits. */
  flags: number;
}

export interface NeighFilter {
  link?: LinkRef;
  family?: IpFamily;
}

/** struct ndmsg: family, ifindex, state, flags, type. */
export function ndmsg(family: number, index: number, state: number, flags: number): Buffer {
  const b = Buffer.alloc(NDMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeInt32LE(index, 4);
  b.writeUInt16LE(state, 8);
  b.writeUInt8(flags, 10);
  return b;
}

function describe(verb: string, spec: NeighSpec): string {
  const dev = typeof spec.dev === "number" ? `#${spec.dev}` : `"${spec.dev}"`;
  return `neigh ${verb} ${spec.ip}${spec.mac ? ` lladdr ${spec.mac}` : ""} dev ${dev}`;
}

function modify(sock: NetlinkSocket, spec: NeighSpec, type: number, requestFlags: number, verb: string): void {
  const ip = parseIp(spec.ip);
  if (type === RTM_NEWNEIGH && spec.mac === undefined && !spec.proxy) {
    throw new TypeError(`${describe(verb, spec)}: mac is required`);
  }
  const index = linkIndex(sock, spec.dev);
  const state = type === RTM_DELNEIGH ? 0 : NEIGH_STATES[spec.state ?? "permanent"];
  const flags = (spec.router ? NTF_ROUTER : 0) | (spec.proxy ? NTF_PROXY : 0);
  sock.request(
    type,
    requestFlags,
    ndmsg(ip.family === 4 ? AF_INET : AF_INET6, index, state, flags),
    [attr.bytes(NDA_DST, ip.bytes), spec.mac !== undefined && type !== RTM_DELNEIGH && attr.bytes(NDA_LLADDR, parseMac(spec.mac))],
    describe(verb, spec),
  );
}

/** Adds an entry; throws EEXIST when one exists for that IP on that device. */
export function neighAdd(sock: NetlinkSocket, spec: NeighSpec): void {
  modify(sock, spec, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL, "add");
}

/** Adds or overwrites the entry for that IP on that device. */
export function neighReplace(sock: NetlinkSocket, spec: NeighSpec): void {
  modify(sock, spec, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, "replace");
}

/** Deletes the entry for spec.ip on spec.dev; ENOENT when absent. */
export function neighDel(sock: NetlinkSocket, spec: Pick<NeighSpec, "dev" | "ip" | "proxy">): void {
  modify(sock, spec, RTM_DELNEIGH, 0, "del");
}

/** IPv4/IPv6 neighbours of the namespace. */
export function neighList(sock: NetlinkSocket, filter: NeighFilter = {}): Neigh[] {
  const index = filter.link === undefined ? undefined : linkIndex(sock, filter.link);
  const family = filter.family === 4 ? AF_INET : filter.family === 6 ? AF_INET6 : AF_UNSPEC;
  return sock
    .dump(RTM_GETNEIGH, ndmsg(family, 0, 0, 0), [], "neigh list")
    .filter((m) => m.type === RTM_NEWNEIGH)
    .filter((m) => {
      const f = m.payload.readUInt8(0);
      return f === AF_INET || f === AF_INET6;
    })
    .map(decodeNeigh)
    .filter((n) => index === undefined || n.index === index);
}

/** Decodes an RTM_NEWNEIGH message of family AF_INET or AF_INET6. */
export function decodeNeigh(message: NlMessage): Neigh {
  const p = message.payload;
  const attrs = new AttrMap(p, NDMSG_LEN);
  const dst = attrs.get(NDA_DST);
  const lladdr = attrs.get(NDA_LLADDR);
  const state = p.readUInt16LE(8);
  return {
    index: p.readInt32LE(4),
    family: p.readUInt8(0) === AF_INET ? 4 : 6,
    ip: dst === undefined ? "" : formatIp(dst),
    mac: lladdr === undefined ? undefined : formatMac(lladdr),
    state,
    stateNames: neighStateNames(state),
    flags: p.readUInt8(10),
  };
}
