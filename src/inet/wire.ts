/**
 * Addresses and prefixes as the kernel wants them: network-order bytes in a
 * Buffer, ready for a netlink attribute. The linux layer's form; it throws
 * TypeError, since text that reaches it unchecked is a caller's bug.
 */
import { type IpFamily } from "./address.js";
import { formatIPv4, parseIPv4 } from "./ipv4.js";
import { formatIPv6Groups, parseIPv6Into } from "./ipv6.js";

/** An IP address in network byte order. */
export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 bytes. */
  readonly bytes: Buffer;
}

/** An address with a prefix length, as in "172.18.0.2/16" (host bits kept). */
export interface IpPrefix extends IpAddress {
  readonly prefixLen: number;
}

/** Parses "10.0.0.1" or "fd00::1" (an IPv6 zone "%eth0" is not accepted). */
export function parseIp(text: string): IpAddress {
  const ip = tryParseIpBytes(text);
  if (ip === undefined) throw new TypeError(`invalid IP address "${text}"`);
  return ip;
}

function tryParseIpBytes(text: string): IpAddress | undefined {
  if (text.indexOf(":") < 0) {
    const v4 = parseIPv4(text);
    if (v4 === undefined) return undefined;
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(v4);
    return { family: 4, bytes };
  }
  const groups = new Array<number>(8);
  if (!parseIPv6Into(text, groups)) return undefined;
  const bytes = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) bytes.writeUInt16BE(groups[i]!, i * 2);
  return { family: 6, bytes };
}

/** Formats 4 or 16 network-order bytes (IPv6 the RFC 5952 way, see formatIPv6Groups). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIPv4(((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0);
  if (bytes.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) groups[i] = (bytes[i * 2]! << 8) | bytes[i * 2 + 1]!;
  return formatIPv6Groups(groups);
}

const PREFIX_LENGTH = /^(0|[1-9][0-9]{0,2})$/;

/** Parses "172.18.0.2/16"; without "/len" the prefix is the full address. */
export function parsePrefix(text: string): IpPrefix {
  const slash = text.indexOf("/");
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  const max = ip.family === 4 ? 32 : 128;
  if (slash === -1) return { ...ip, prefixLen: max };
  const lenText = text.slice(slash + 1);
  if (!PREFIX_LENGTH.test(lenText) || Number(lenText) > max) throw new TypeError(`invalid prefix length in "${text}"`);
  return { ...ip, prefixLen: Number(lenText) };
}

export function formatPrefix(bytes: Uint8Array, prefixLen: number): string {
  return `${formatIp(bytes)}/${prefixLen}`;
}

/** The network address of a prefix (host bits cleared). */
export function networkOf(prefix: IpPrefix): Buffer {
  const out = Buffer.from(prefix.bytes);
  for (let bit = prefix.prefixLen; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/** The IPv4 broadcast address of a prefix (host bits set). */
export function broadcastOf(prefix: IpPrefix): Buffer {
  const out = Buffer.from(prefix.bytes);
  for (let bit = prefix.prefixLen; bit < out.length * 8; bit++) out[bit >> 3]! |= 0x80 >> (bit & 7);
  return out;
}
