// Text <-> bytes for IP addresses, prefixes and MAC addresses, as the kernel
// wants them on the wire. IPv6 text is printed in the canonical compressed
// form (RFC 5952, the same as inet_ntop and therefore as `ip`).
import { isIP } from "node:net";

export type IpFamily = 4 | 6;

/** An IP address in network byte order. */
export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 bytes. */
  readonly bytes: Buffer;
}

/** An address with a prefix length, as in "172.18.0.2/16". */
export interface IpPrefix extends IpAddress {
  readonly prefixLen: number;
}

/** Parses "10.0.0.1" or "fd00::1" (an IPv6 zone "%eth0" is not accepted). */
export function parseIp(text: string): IpAddress {
  const family = text.includes("%") ? 0 : isIP(text);
  if (family === 4) return { family: 4, bytes: Buffer.from(text.split(".").map(Number)) };
  if (family === 6) return { family: 6, bytes: parseIpv6(text) };
  throw new TypeError(`invalid IP address "${text}"`);
}

function parseIpv6(text: string): Buffer {
  const out = Buffer.alloc(16);
  // A trailing dotted quad ("::ffff:1.2.3.4") stands for the last two groups.
  let tail: Buffer | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    tail = Buffer.from(text.slice(lastColon + 1).split(".").map(Number));
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const groups = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  if (tail) tail.copy(out, 12);
  return out;
}

/** Formats 4 or 16 network-order bytes. */
export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length !== 16) throw new TypeError(`an IP address has 4 or 16 bytes, not ${bytes.length}`);
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(bytes.readUInt16BE(i * 2));
  // Longest run of zero groups (at least two), the first one on a tie.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses
  // keep the dotted tail, as inet_ntop prints them.
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
    const v4 = formatIp(bytes.subarray(12));
    return bestLength === 5 ? `::ffff:${v4}` : `::${v4}`;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(":");
  if (bestStart === -1) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLength))}`;
}

/** Parses "172.18.0.2/16"; without "/len" the prefix is the full address. */
export function parsePrefix(text: string): IpPrefix {
  const slash = text.indexOf("/");
  const ip = parseIp(slash === -1 ? text : text.slice(0, slash));
  const max = ip.family === 4 ? 32 : 128;
  const prefixLen = slash === -1 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > max || (slash !== -1 && text.slice(slash + 1) === "")) {
    throw new TypeError(`invalid prefix length in "${text}"`);
  }
  return { ...ip, prefixLen };
}

export function formatPrefix(bytes: Buffer, prefixLen: number): string {
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

export function familyOfText(text: string): IpFamily {
  return parsePrefix(text).family;
}

const MAC_PATTERN = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/** Parses "02:42:ac:11:00:02" (or with dashes) into 6 bytes. */
export function parseMac(text: string): Buffer {
  if (!MAC_PATTERN.test(text)) throw new TypeError(`invalid MAC address "${text}"`);
  return Buffer.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
}

/** Formats link-layer bytes as lowercase colon-separated hex (any length). */
export function formatMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
}
