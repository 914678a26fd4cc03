// Parsing of flag values that have a syntax of their own: key=value options,
// published ports, extra hosts, and the pairing of --subnet with --ip-range,
// --gateway and --aux-address into IPAM configs (as `docker network create`
// pairs them: each range, gateway and aux address goes to the subnet that
// contains it). Everything here is pure, so it is tested without a daemon.

import { BlockList, isIP } from "node:net";
import { UsageError } from "../cmdline/index.js";

/** "k=v" list -> object; a bare "k" means an empty value (as docker's labels). */
export function parseKeyValues(values: readonly string[], flag: string, requireValue = false): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of values) {
    const eq = kv.indexOf("=");
    const key = eq < 0 ? kv : kv.slice(0, eq);
    if (key === "" || (requireValue && eq < 0)) {
      throw new UsageError(`invalid argument "${kv}" for "--${flag}" flag: expected key=value`);
    }
    out[key] = eq < 0 ? "" : kv.slice(eq + 1);
  }
  return out;
}

/** --filter k=v list -> the API's filters JSON shape {k: {v: true}}. */
export function parseFilters(values: readonly string[]): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const kv of values) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${kv}`);
    const key = kv.slice(0, eq).trim().toLowerCase();
    (out[key] ??= {})[kv.slice(eq + 1)] = true;
  }
  return out;
}

/** An address family a CIDR or address belongs to, as BlockList names them. */
type Family = "ipv4" | "ipv6";

interface Cidr {
  readonly text: string;
  readonly address: string;
  readonly prefix: number;
  readonly family: Family;
}

/** Validates "address/prefix". */
export function parseCidr(text: string, flag: string): Cidr {
  const slash = text.indexOf("/");
  const address = slash < 0 ? "" : text.slice(0, slash);
  const prefixText = slash < 0 ? "" : text.slice(slash + 1);
  const version = isIP(address);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (version === 0 || !(prefix >= 0 && prefix <= (version === 4 ? 32 : 128))) {
    throw new UsageError(`invalid CIDR address for --${flag}: ${text}`);
  }
  return { text, address, prefix, family: version === 4 ? "ipv4" : "ipv6" };
}

export function parseAddress(text: string, flag: string): { address: string; family: Family } {
  const version = isIP(text);
  if (version === 0) throw new UsageError(`invalid IP address for --${flag}: ${text}`);
  return { address: text, family: version === 4 ? "ipv4" : "ipv6" };
}

/** One IPAM config entry in the API's (Docker's) field names. */
export interface ApiIpamConfig {
  Subnet: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/**
 * Pairs --ip-range, --gateway and --aux-address with the --subnet containing
 * them. At most one range and one gateway per subnet; each must fall in some
 * subnet.
 */
export function buildIpamConfig(
  subnets: readonly string[],
  ranges: readonly string[],
  gateways: readonly string[],
  auxAddresses: readonly string[],
): ApiIpamConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new UsageError("every ip-range or gateway must have a corresponding subnet");
  }
  if (auxAddresses.length > 0 && subnets.length === 0) {
    throw new UsageError("every aux-address must have a corresponding subnet");
  }
  const pools = subnets.map((s) => {
    const cidr = parseCidr(s, "subnet");
    const list = new BlockList();
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
    return { cidr, list, config: { Subnet: s } as ApiIpamConfig };
  });
  for (let i = 0; i < pools.length; i++) {
    for (let j = i + 1; j < pools.length; j++) {
      const a = pools[i]!.cidr;
      const b = pools[j]!.cidr;
      if (a.family === b.family && (pools[i]!.list.check(b.address, b.family) || pools[j]!.list.check(a.address, a.family))) {
        throw new UsageError(`subnets ${a.text} and ${b.text} overlap`);
      }
    }
  }
  const owner = (address: string, family: Family) => pools.find((p) => p.cidr.family === family && p.list.check(address, family));

  for (const r of ranges) {
    const range = parseCidr(r, "ip-range");
    const pool = owner(range.address, range.family);
    if (!pool || range.prefix < pool.cidr.prefix) throw new UsageError(`no matching subnet for range ${r}`);
    if (pool.config.IPRange) {
      throw new UsageError(`cannot configure multiple ranges (${pool.config.IPRange}, ${r}) on the same subnet (${pool.cidr.text})`);
    }
    pool.config.IPRange = r;
  }
  for (const g of gateways) {
    const gw = parseAddress(g, "gateway");
    const pool = owner(gw.address, gw.family);
    if (!pool) throw new UsageError(`no matching subnet for gateway ${g}`);
    if (pool.config.Gateway) {
      throw new UsageError(`cannot configure multiple gateways (${pool.config.Gateway}, ${g}) for the same subnet (${pool.cidr.text})`);
    }
    pool.config.Gateway = g;
  }
  for (const [name, ip] of Object.entries(parseKeyValues(auxAddresses, "aux-address", true))) {
    const aux = parseAddress(ip, "aux-address");
    const pool = owner(aux.address, aux.family);
    if (!pool) throw new UsageError(`no matching subnet for aux-address ${ip}`);
    (pool.config.AuxiliaryAddresses ??= {})[name] = ip;
  }
  return pools.map((p) => p.config);
}

/** Docker's HostConfig.PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}. */
export type ApiPortBindings = Record<string, { HostIp: string; HostPort: string }[]>;

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

/**
 * Parses -p values: CONTAINER, HOST:CONTAINER, IP:HOST:CONTAINER, IP::CONTAINER,
 * [IPv6]:HOST:CONTAINER, each with an optional /tcp|/udp|/sctp; ports may be
 * ranges (equal lengths on both sides, or a host range for one container port).
 */
export function parsePublish(values: readonly string[]): ApiPortBindings {
  const out: ApiPortBindings = {};
  for (const spec of values) {
    const bad = (why: string) => new UsageError(`invalid publish spec "${spec}": ${why}`);
    let text = spec;
    let proto = "tcp";
    const slash = text.lastIndexOf("/");
    if (slash >= 0) {
      proto = text.slice(slash + 1).toLowerCase();
      text = text.slice(0, slash);
      if (!PROTOCOLS.has(proto)) throw bad(`unknown protocol "${proto}"`);
    }
    let hostIp = "";
    if (text.startsWith("[")) {
      const close = text.indexOf("]:");
      if (close < 0) throw bad("expected [IPv6]:HOST:CONTAINER");
      hostIp = text.slice(1, close);
      text = text.slice(close + 2);
      if (isIP(hostIp) !== 6) throw bad(`"${hostIp}" is not an IPv6 address`);
    }
    const parts = text.split(":");
    let hostPart = "";
    let containerPart: string;
    if (hostIp !== "") {
      if (parts.length !== 2) throw bad("expected [IPv6]:HOST:CONTAINER");
      [hostPart, containerPart] = [parts[0]!, parts[1]!];
    } else if (parts.length === 1) {
      containerPart = parts[0]!;
    } else if (parts.length === 2) {
      [hostPart, containerPart] = [parts[0]!, parts[1]!];
    } else {
      // IP:HOST:CONTAINER; an unbracketed IPv6 address keeps its colons.
      hostIp = parts.slice(0, -2).join(":");
      hostPart = parts[parts.length - 2]!;
      containerPart = parts[parts.length - 1]!;
      if (isIP(hostIp) === 0) throw bad(`"${hostIp}" is not an IP address`);
    }
    const container = parsePortRange(containerPart, bad);
    const host = hostPart === "" ? undefined : parsePortRange(hostPart, bad);
    const cCount = container[1] - container[0] + 1;
    const hCount = host ? host[1] - host[0] + 1 : 0;
    if (host && cCount > 1 && hCount !== cCount) throw bad("host and container port ranges differ in length");
    for (let i = 0; i < cCount; i++) {
      let hostPort = "";
      if (host) hostPort = cCount > 1 ? String(host[0] + i) : hCount > 1 ? `${host[0]}-${host[1]}` : String(host[0]);
      (out[`${container[0] + i}/${proto}`] ??= []).push({ HostIp: hostIp, HostPort: hostPort });
    }
  }
  return out;
}

function parsePortRange(text: string, bad: (why: string) => UsageError): [number, number] {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) throw bad(`invalid port "${text}"`);
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  if (first < 1 || last > 65535 || last < first) throw bad(`invalid port "${text}"`);
  return [first, last];
}

/** --add-host name:ip (name=ip also accepted); returns the API's "name:ip" form. */
export function parseAddHost(value: string): string {
  const sep = /[:=]/.exec(value);
  const name = sep ? value.slice(0, sep.index) : "";
  let ip = sep ? value.slice(sep.index + 1) : "";
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (name === "" || isIP(ip) === 0) {
    throw new UsageError(`invalid argument "${value}" for "--add-host" flag: expected name:ip`);
  }
  return `${name}:${ip}`;
}
