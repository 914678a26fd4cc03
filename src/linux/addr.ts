// Interface addresses, IPv4 and IPv6 (RTM_NEWADDR / DELADDR / GETADDR with
// struct ifaddrmsg), written and read as CIDR text ("172.18.0.2/16").
import { AttrMap, attr } from "./netlink/attributes.js";
import type { NlMessage } from "./netlink/message.js";
import type { NetlinkSocket } from "./netlink/socket.js";
import { broadcastOf, formatIp, parsePrefix, type IpFamily, type IpPrefix } from "../inet/index.js";
import { linkIndex } from "./link.js";
import type { LinkRef } from "./link-kinds.js";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IFADDRMSG_LEN,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_FLAGS,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  IFA_LABEL,
  IFA_LOCAL,
  NLM_F_CREATE,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
  RT_SCOPE_UNIVERSE,
} from "./netlink/constants.js";

export interface AddrOptions {
  /** IPv6: skip duplicate address detection, so the address is usable at once
   * instead of "tentative" for about a second. Ignored for IPv4. */
  noDad?: boolean;
  /** Do not add the prefix route that normally comes with the address. */
  noPrefixRoute?: boolean;
  /** IPv4 broadcast: default the prefix's broadcast address for prefixes
   * shorter than /31 (like Docker; `ip addr add` sets none unless asked);
   * false sets none. */
  broadcast?: string | false;
  /** IPv4 label, e.g. "eth0:1"; default the interface name. */
  label?: string;
  /** RT_SCOPE_*; default universe (global). */
  scope?: number;
  /** Point-to-point peer address (IFA_ADDRESS differs from IFA_LOCAL). */
  peer?: string;
}

/** An address as the kernel reports it. */
export interface Addr {
  /** ifindex of the interface. */
  index: number;
  family: IpFamily;
  /** "172.18.0.2" or "fd00::2". */
  address: string;
  prefixLen: number;
  /** address/prefixLen. */
  cidr: string;
  scope: number;
  /** IFA_F_* flags (nodad, tentative, permanent...). */
  flags: number;
  label: string | undefined;
  broadcast: string | undefined;
  /** Peer of a point-to-point address. */
  peer: string | undefined;
  /** Seconds; 0xffffffff means forever. */
  validLifetime: number | undefined;
  preferredLifetime: number | undefined;
}

export interface AddrFilter {
  link?: LinkRef;
  family?: IpFamily;
}

function ifaddrmsg(family: number, prefixLen: number, flags: number, scope: number, index: number): Buffer {
  const b = Buffer.alloc(IFADDRMSG_LEN);
  b.writeUInt8(family, 0);
  b.writeUInt8(prefixLen, 1);
  b.writeUInt8(flags & 0xff, 2);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index, 4);
  return b;
}

const afOf = (family: IpFamily): number => (family === 4 ? AF_INET : AF_INET6);

function addrAttrs(prefix: IpPrefix, options: AddrOptions) {
  const peer = options.peer === undefined ? undefined : parsePrefix(options.peer);
  let broadcast: Buffer | undefined;
  if (prefix.family === 4 && options.broadcast !== false) {
    if (typeof options.broadcast === "string") broadcast = parsePrefix(options.broadcast).bytes;
    else if (prefix.prefixLen < 31 && peer === undefined) broadcast = broadcastOf(prefix);
  }
  let flags = 0;
  if (prefix.family === 6 && options.noDad) flags |= IFA_F_NODAD;
  if (options.noPrefixRoute) flags |= IFA_F_NOPREFIXROUTE;
  return {
    flags,
    attrs: [
      // IFA_LOCAL is the interface's own address, IFA_ADDRESS the peer's on a
      // point-to-point link and otherwise the same (IPv6 only reads IFA_ADDRESS).
      prefix.family === 4 && attr.bytes(IFA_LOCAL, prefix.bytes),
      attr.bytes(IFA_ADDRESS, (peer ?? prefix).bytes),
      broadcast !== undefined && attr.bytes(IFA_BROADCAST, broadcast),
      options.label !== undefined && attr.str(IFA_LABEL, options.label),
      // Flags above 0xff only fit in the IFA_FLAGS attribute.
      flags !== 0 && attr.u32(IFA_FLAGS, flags),
    ],
  };
}

function modify(
  sock: NetlinkSocket,
  type: number,
  requestFlags: number,
  verb: string,
  link: LinkRef,
  cidr: string,
  options: AddrOptions,
): void {
  const prefix = parsePrefix(cidr);
  const index = linkIndex(sock, link);
  const { flags, attrs } = addrAttrs(prefix, type === RTM_DELADDR ? { broadcast: false } : options);
  const operation = `addr ${verb} ${cidr} dev ${typeof link === "number" ? `#${link}` : `"${link}"`}`;
  const header = ifaddrmsg(afOf(prefix.family), prefix.prefixLen, flags, options.scope ?? RT_SCOPE_UNIVERSE, index);
  sock.request(type, requestFlags, header, attrs, operation);
}

/** Adds an address; throws EEXIST when the interface already has it. */
export function addrAdd(sock: NetlinkSocket, link: LinkRef, cidr: string, options: AddrOptions = {}): void {
  modify(sock, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, "add", link, cidr, options);
}

/** Adds an address or updates it when present (lifetimes, flags). */
export function addrReplace(sock: NetlinkSocket, link: LinkRef, cidr: string, options: AddrOptions = {}): void {
  modify(sock, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, "replace", link, cidr, options);
}

/** Removes an address; throws EADDRNOTAVAIL when absent. */
export function addrDel(sock: NetlinkSocket, link: LinkRef, cidr: string): void {
  modify(sock, RTM_DELADDR, 0, "del", link, cidr, {});
}

/** Addresses of the namespace, optionally of one link and/or family. */
export function addrList(sock: NetlinkSocket, filter: AddrFilter = {}): Addr[] {
  const index = filter.link === undefined ? undefined : linkIndex(sock, filter.link);
  const family = filter.family === undefined ? AF_UNSPEC : afOf(filter.family);
  const messages = sock.dump(RTM_GETADDR, ifaddrmsg(family, 0, 0, 0, 0), [], "addr list");
  return messages
    .filter((m) => m.type === RTM_NEWADDR)
    .map(decodeAddr)
    .filter((a) => index === undefined || a.index === index);
}

/** Decodes an RTM_NEWADDR message. */
export function decodeAddr(message: NlMessage): Addr {
  const p = message.payload;
  const family: IpFamily = p.readUInt8(0) === AF_INET ? 4 : 6;
  const prefixLen = p.readUInt8(1);
  const attrs = new AttrMap(p, IFADDRMSG_LEN);
  const local = attrs.get(IFA_LOCAL);
  const address = attrs.get(IFA_ADDRESS);
  // With IFA_LOCAL present, IFA_ADDRESS is the peer (equal unless point-to-point).
  const own = local ?? address ?? Buffer.alloc(family === 4 ? 4 : 16);
  const peer = local !== undefined && address !== undefined && !local.equals(address) ? formatIp(address) : undefined;
  const broadcast = attrs.get(IFA_BROADCAST);
  const cacheinfo = attrs.get(IFA_CACHEINFO);
  const text = formatIp(own);
  return {
    index: p.readUInt32LE(4),
    family,
    address: text,
    prefixLen,
    cidr: `${text}/${prefixLen}`,
    scope: p.readUInt8(3),
    flags: attrs.u32(IFA_FLAGS) ?? p.readUInt8(2),
    label: attrs.str(IFA_LABEL),
    broadcast: broadcast === undefined ? undefined : formatIp(broadcast),
    peer,
    preferredLifetime: cacheinfo && cacheinfo.length >= 8 ? cacheinfo.readUInt32LE(0) : undefined,
    validLifetime: cacheinfo && cacheinfo.length >= 8 ? cacheinfo.readUInt32LE(4) : undefined,
  };
}
