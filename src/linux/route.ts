// Routes, IPv4 and IPv6 (RTM_NEWROUTE / DELROUTE / GETROUTE with struct rtmsg).
import { AttrMap, attr } from "./netlink/attributes.js";
import type { NlMessage } from "./netlink/message.js";
import type { NetlinkSocket } from "./netlink/socket.js";
import { formatIp, parseIp, parsePrefix, type IpFamily } from "../inet/index.js";
import { linkIndex } from "./link.js";
import type { LinkRef } from "./link-kinds.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTAX_MTU,
  RTA_DST,
  RTA_GATEWAY,
  RTA_METRICS,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTMSG_LEN,
  RTNH_F_ONLINK,
  RTPROT_BOOT,
  RTPROT_UNSPEC,
  RTN_ANYCAST,
  RTN_BLACKHOLE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTN_UNSPEC,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
  RT_TABLE_UNSPEC,
} from "./netlink/constants.js";

export type RouteScope = "universe" | "site" | "link" | "host" | "nowhere";
export type RouteType =
  | "unicast"
  | "local"
  | "broadcast"
  | "anycast"
  | "multicast"
  | "blackhole"
  | "unreachable"
  | "prohibit"
  | "throw";

const SCOPES: Record<RouteScope, number> = {
  universe: RT_SCOPE_UNIVERSE,
  site: RT_SCOPE_SITE,
  link: RT_SCOPE_LINK,
  host: RT_SCOPE_HOST,
  nowhere: RT_SCOPE_NOWHERE,
};
const TYPES: Record<RouteType, number> = {
  unicast: RTN_UNICAST,
  local: RTN_LOCAL,
  broadcast: RTN_BROADCAST,
  anycast: RTN_ANYCAST,
  multicast: RTN_MULTICAST,
  blackhole: RTN_BLACKHOLE,
  unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT,
  throw: RTN_THROW,
};

export interface RouteSpec {
  /** "10.1.0.0/16", "fd00:1::/64", or "default" (also when omitted). */
  dst?: string;
  /** Needed only when neither dst nor gateway tells the family; default 4. */
  family?: IpFamily;
  /** Next hop. */
  gateway?: string;
  /** Output device. */
  dev?: LinkRef;
  /** Preferred source address. */
  src?: string;
  /** Default: "link" for a unicast route without gateway, "host" for local
   * routes, else "universe" (what `ip route add` picks). */
  scope?: RouteScope | number;
  /** Routing table; default main (254). */
  table?: number;
  /** Priority (lower wins); default 0 (IPv6: the kernel picks 1024). */
  metric?: number;
  /** RTPROT_*; default boot (3), like `ip route add`. */
  protocol?: number;
  /** Default "unicast". */
  type?: RouteType;
  /** Treat the gateway as directly reachable on dev even without a covering prefix. */
  onlink?: boolean;
  mtu?: number;
}

/** A route as the kernel reports it. */
export interface Route {
  family: IpFamily;
  /** "default" or a prefix in CIDR form (host routes end in /32 or /128). */
  dst: string;
  gateway: string | undefined;
  /** Output interface index. */
  oif: number | undefined;
  /** Preferred source address. */
  src: string | undefined;
  table: number;
  protocol: number;
  scope: number;
  type: RouteType | "unspec";
  metric: number | undefined;
  /** RTNH_F_* / RTM_F_* flags. */
  flags: number;
  mtu: number | undefined;
}

export interface RouteFilter {
  family?: IpFamily;
  /** Table to list; default main. "all" lists every table (local included). */
  table?: number | "all";
  /** Only routes through this device. */
  link?: LinkRef;
}

function rtmsg(f: {
  family: number;
  dstLen: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}): Buffer {
  const b = Buffer.alloc(RTMSG_LEN);
  b.writeUInt8(f.family, 0);
  b.writeUInt8(f.dstLen, 1);
  b.writeUInt8(f.table, 4);
  b.writeUInt8(f.protocol, 5);
  b.writeUInt8(f.scope, 6);
  b.writeUInt8(f.type, 7);
  b.writeUInt32LE(f.flags, 8);
  return b;
}

const afOf = (family: IpFamily): number => (family === 4 ? AF_INET : AF_INET6);

function describe(spec: RouteSpec, verb: string): string {
  const parts = [`route ${verb} ${spec.dst ?? "default"}`];
  if (spec.gateway !== undefined) parts.push(`via ${spec.gateway}`);
  if (spec.dev !== undefined) parts.push(`dev ${typeof spec.dev === "number" ? `#${spec.dev}` : `"${spec.dev}"`}`);
  if (spec.table !== undefined) parts.push(`table ${spec.table}`);
  return parts.join(" ");
}

function modify(sock: NetlinkSocket, spec: RouteSpec, type: number, requestFlags: number, verb: string): void {
  const isDelete = type === RTM_DELROUTE;
  const dst = spec.dst === undefined || spec.dst === "default" ? undefined : parsePrefix(spec.dst);
  const gateway = spec.gateway === undefined ? undefined : parseIp(spec.gateway);
  const family = dst?.family ?? gateway?.family ?? spec.family ?? 4;
  if (gateway !== undefined && gateway.family !== family) {
    throw new TypeError(`${describe(spec, verb)}: gateway and destination are of different families`);
  }
  const routeType = spec.type === undefined ? (isDelete ? RTN_UNSPEC : RTN_UNICAST) : TYPES[spec.type];
  let scope: number;
  if (typeof spec.scope === "number") scope = spec.scope;
  else if (spec.scope !== undefined) scope = SCOPES[spec.scope];
  // A delete without scope matches any scope (RT_SCOPE_NOWHERE), like `ip route del`.
  else if (isDelete) scope = RT_SCOPE_NOWHERE;
  else if (routeType === RTN_LOCAL) scope = RT_SCOPE_HOST;
  else if (routeType === RTN_UNICAST && gateway === undefined) scope = RT_SCOPE_LINK;
  else scope = RT_SCOPE_UNIVERSE;
  const table = spec.table ?? RT_TABLE_MAIN;
  const oif = spec.dev === undefined ? undefined : linkIndex(sock, spec.dev);
  const src = spec.src === undefined ? undefined : parseIp(spec.src);
  const header = rtmsg({
    family: afOf(family),
    dstLen: dst?.prefixLen ?? 0,
    // The header byte holds tables below 256; RTA_TABLE holds any.
    table: table < 256 ? table : RT_TABLE_UNSPEC,
    protocol: spec.protocol ?? (isDelete ? RTPROT_UNSPEC : RTPROT_BOOT),
    scope,
    type: routeType,
    flags: spec.onlink ? RTNH_F_ONLINK : 0,
  });
  sock.request(
    type,
    requestFlags,
    header,
    [
      dst !== undefined && attr.bytes(RTA_DST, dst.bytes),
      gateway !== undefined && attr.bytes(RTA_GATEWAY, gateway.bytes),
      oif !== undefined && attr.u32(RTA_OIF, oif),
      src !== undefined && attr.bytes(RTA_PREFSRC, src.bytes),
      spec.metric !== undefined && attr.u32(RTA_PRIORITY, spec.metric),
      attr.u32(RTA_TABLE, table),
      spec.mtu !== undefined && attr.nested(RTA_METRICS, [attr.u32(RTAX_MTU, spec.mtu)]),
    ],
    describe(spec, verb),
  );
}

/** Adds a route; throws EEXIST when an identical one exists. */
export function routeAdd(sock: NetlinkSocket, spec: RouteSpec): void {
  modify(sock, spec, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, "add");
}

/** Adds a route or replaces the one with the same destination, table and metric. */
export function routeReplace(sock: NetlinkSocket, spec: RouteSpec): void {
  modify(sock, spec, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, "replace");
}

/** Deletes a route matching the spec (unset fields match anything); ESRCH when none. */
export function routeDel(sock: NetlinkSocket, spec: RouteSpec): void {
  modify(sock, spec, RTM_DELROUTE, 0, "del");
}

/** Routes of the namespace (main table unless told otherwise). */
export function routeList(sock: NetlinkSocket, filter: RouteFilter = {}): Route[] {
  const oif = filter.link === undefined ? undefined : linkIndex(sock, filter.link);
  const table = filter.table ?? RT_TABLE_MAIN;
  const family = filter.family === undefined ? AF_UNSPEC : afOf(filter.family);
  const header = rtmsg({ family, dstLen: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 });
  return sock
    .dump(RTM_GETROUTE, header, [], "route list")
    .filter((m) => m.type === RTM_NEWROUTE)
    .map(decodeRoute)
    .filter((r) => (table === "all" || r.table === table) && (oif === undefined || r.oif === oif));
}

/** Decodes an RTM_NEWROUTE message. */
export function decodeRoute(message: NlMessage): Route {
  const p = message.payload;
  const family: IpFamily = p.readUInt8(0) === AF_INET ? 4 : 6;
  const dstLen = p.readUInt8(1);
  const attrs = new AttrMap(p, RTMSG_LEN);
  const dst = attrs.get(RTA_DST);
  const gateway = attrs.get(RTA_GATEWAY);
  const src = attrs.get(RTA_PREFSRC);
  const typeNumber = p.readUInt8(7);
  const typeName = (Object.keys(TYPES) as RouteType[]).find((t) => TYPES[t] === typeNumber);
  return {
    family,
    dst: dstLen === 0 || dst === undefined ? "default" : `${formatIp(dst)}/${dstLen}`,
    gateway: gateway === undefined ? undefined : formatIp(gateway),
    oif: attrs.u32(RTA_OIF),
    src: src === undefined ? undefined : formatIp(src),
    table: attrs.u32(RTA_TABLE) ?? p.readUInt8(4),
    protocol: p.readUInt8(5),
    scope: p.readUInt8(6),
    type: typeName ?? "unspec",
    metric: attrs.u32(RTA_PRIORITY),
    flags: p.readUInt32LE(8),
    mtu: attrs.nested(RTA_METRICS)?.u32(RTAX_MTU),
  };
}
