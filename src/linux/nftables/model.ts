// The declared state the firewall renders: networks and port mappings as the
// driver gives them, validated and put in canonical form. Validation happens
// here, before anything is sent to nft, so that a bad input fails with a
// message naming the network or mapping instead of an nft parse error, and
// so that a failed mutation never leaves the in-memory state half changed.
import {
  type IpFamily,
  type IpValue,
  type Prefix,
  formatIpValue,
  isUnspecified,
  makePrefix,
  parseIpValue,
  prefixesOverlap,
  readCidr,
} from "../../inet/index.js";

// Addresses are held in canonical text as well as by value: the text is what
// nft is given and what element diffs compare, so "2001:DB8::0:1" and
// "2001:db8::1" are one element and "10.1.0.5/24" is "10.1.0.0/24". Parsing
// here also gives a message naming the field, where nft would say
// "internal:0:0" after the whole batch was sent.

/** An IP address in canonical text form, with its value. */
export interface IPAddress {
  family: IpFamily;
  /** Canonical text: dotted quad for v4, RFC 5952 for v6. */
  text: string;
  ip: IpValue;
}

/** A subnet with the host bits cleared. */
export interface IPSubnet {
  family: IpFamily;
  prefix: Prefix;
  /** Network address in canonical text form. */
  address: string;
  prefixLength: number;
  /** "address/prefixLength", canonical. */
  text: string;
}

/** Parses an IPv4 or IPv6 address (no zone index); throws naming `what` if invalid. */
export function parseIP(input: string, what = "address"): IPAddress {
  const ip = parseIpValue(input);
  if (ip === undefined) throw new Error(`invalid ${what} ${JSON.stringify(input)}: not an IPv4 or IPv6 address`);
  return { family: ip.family, text: formatIpValue(ip), ip };
}

/** Parses "addr/len", clearing host bits; throws naming `what` if invalid. */
export function parseSubnet(input: string, what = "subnet"): IPSubnet {
  const r = readCidr(input);
  if ("error" in r) throw new Error(`invalid ${what} ${JSON.stringify(input)}: ${r.error}`);
  const prefix = makePrefix(r.ip.family, r.ip.value, r.bits);
  const address = formatIpValue({ family: prefix.family, value: prefix.addr });
  return { family: prefix.family, prefix, address, prefixLength: prefix.bits, text: `${address}/${prefix.bits}` };
}

/** True when the two subnets share at least one address (same family only). */
export function subnetsOverlap(a: IPSubnet, b: IPSubnet): boolean {
  return prefixesOverlap(a.prefix, b.prefix);
}

/** A bridge network as the driver declares it. */
export interface FirewallNetwork {
  /** Network id; unique per Firewall. */
  id: string;
  /** Name of the Linux bridge interface (max 15 characters). */
  bridge: string;
  /** The network's subnets, IPv4 and/or IPv6, as CIDR. */
  subnets: string[];
  /** Masquerade traffic from the subnets leaving through another interface. Ignored when internal. */
  masquerade: boolean;
  /** Inter-container communication on this bridge; false blocks container-to-container IP traffic. */
  icc: boolean;
  /** Nothing in or out of the bridge except to/from the same bridge (and the host itself). */
  internal: boolean;
  /**
   * Default host address for this network's IPv4 port mappings that name no
   * host address (Docker's com.docker.network.bridge.host_binding_ipv4).
   * Absent or 0.0.0.0: all host addresses.
   */
  hostBindingIPv4?: string;
}

export type Protocol = "tcp" | "udp";

/** A published port. Its family (v4/v6) is the family of containerIP. */
export interface PortMapping {
  networkId: string;
  proto: Protocol;
  /** Host address to accept on; absent, 0.0.0.0 or :: = every host address (or the network's hostBindingIPv4). */
  hostIP?: string;
  hostPort: number;
  containerIP: string;
  containerPort: number;
}

export interface NormalizedNetwork {
  id: string;
  bridge: string;
  subnets: IPSubnet[];
  masquerade: boolean;
  icc: boolean;
  internal: boolean;
  hostBindingIPv4?: IPAddress;
  /** The input, kept to hand back from `networks()`. */
  input: FirewallNetwork;
}

export interface NormalizedMapping {
  networkId: string;
  proto: Protocol;
  family: 4 | 6;
  /** Absent: any host address (subject to the network's hostBindingIPv4). */
  hostIP?: IPAddress;
  hostPort: number;
  containerIP: IPAddress;
  containerPort: number;
  /** Identity of the mapping as declared: family, proto, host address as given, host port. */
  id: string;
  input: PortMapping;
}

/** The whole declared state. Maps are replaced, never mutated in place, by the Firewall. */
export interface DeclaredState {
  networks: Map<string, NormalizedNetwork>;
  mappings: Map<string, NormalizedMapping>;
}

export function emptyState(): DeclaredState {
  return { networks: new Map(), mappings: new Map() };
}

export function cloneState(s: DeclaredState): DeclaredState {
  return { networks: new Map(s.networks), mappings: new Map(s.mappings) };
}

// Linux IFNAMSIZ is 16 including the terminating NUL; "/" and whitespace are
// never valid in a name, and rejecting them keeps odd input out of nft.
const IFNAME = /^[^\s/:]{1,15}$/;

export function normalizeNetwork(n: FirewallNetwork): NormalizedNetwork {
  if (typeof n.id !== "string" || n.id === "") throw new Error("network id must be a non-empty string");
  const what = `network ${n.id}`;
  if (typeof n.bridge !== "string" || !IFNAME.test(n.bridge)) {
    throw new Error(`${what}: invalid bridge name ${JSON.stringify(n.bridge)} (1-15 characters, no whitespace, "/" or ":")`);
  }
  const subnets = n.subnets.map((s) => parseSubnet(s, `${what} subnet`));
  for (let i = 0; i < subnets.length; i++) {
    for (let j = i + 1; j < subnets.length; j++) {
      const a = subnets[i]!;
      const b = subnets[j]!;
      if (subnetsOverlap(a, b)) throw new Error(`${what}: subnets ${a.text} and ${b.text} overlap`);
    }
  }
  const out: NormalizedNetwork = {
    id: n.id,
    bridge: n.bridge,
    subnets,
    masquerade: Boolean(n.masquerade),
    icc: Boolean(n.icc),
    internal: Boolean(n.internal),
    input: { ...n, subnets: [...n.subnets] },
  };
  if (n.hostBindingIPv4 !== undefined && n.hostBindingIPv4 !== "") {
    const ip = parseIP(n.hostBindingIPv4, `${what} hostBindingIPv4`);
    if (ip.family !== 4) throw new Error(`${what}: hostBindingIPv4 ${n.hostBindingIPv4} is not an IPv4 address`);
    if (!isUnspecified(ip.ip)) out.hostBindingIPv4 = ip;
  }
  return out;
}

/** Throws if `n` cannot live next to the other networks (same bridge, overlapping subnets). */
export function checkNetworkFits(n: NormalizedNetwork, others: Iterable<NormalizedNetwork>): void {
  for (const o of others) {
    if (o.id === n.id) continue;
    if (o.bridge === n.bridge) throw new Error(`network ${n.id}: bridge ${n.bridge} is already used by network ${o.id}`);
    for (const a of n.subnets) {
      for (const b of o.subnets) {
        if (subnetsOverlap(a, b)) {
          throw new Error(`network ${n.id}: subnet ${a.text} overlaps subnet ${b.text} of network ${o.id}`);
        }
      }
    }
  }
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`${what} ${String(p)} is not a port number (1-65535)`);
}

export function normalizeMapping(m: PortMapping): NormalizedMapping {
  const what = `port mapping ${m.hostIP ?? "*"}:${String(m.hostPort)}/${String(m.proto)}`;
  if (m.proto !== "tcp" && m.proto !== "udp") throw new Error(`${what}: protocol must be "tcp" or "udp"`);
  checkPort(m.hostPort, `${what}: host port`);
  checkPort(m.containerPort, `${what}: container port`);
  const containerIP = parseIP(m.containerIP, `${what}: container address`);
  let hostIP: IPAddress | undefined;
  if (m.hostIP !== undefined && m.hostIP !== "") {
    const ip = parseIP(m.hostIP, `${what}: host address`);
    if (ip.family !== containerIP.family) {
      throw new Error(`${what}: host address ${ip.text} and container address ${containerIP.text} are of different families`);
    }
    if (!isUnspecified(ip.ip)) hostIP = ip;
  }
  const id = `v${containerIP.family}|${m.proto}|${hostIP?.text ?? "*"}|${m.hostPort}`;
  const out: NormalizedMapping = {
    networkId: m.networkId,
    proto: m.proto,
    family: containerIP.family,
    hostPort: m.hostPort,
    containerIP,
    containerPort: m.containerPort,
    id,
    input: { ...m },
  };
  if (hostIP) out.hostIP = hostIP;
  return out;
}

/**
 * The host address a mapping is finally bound to: its own, else its
 * network's hostBindingIPv4 for v4, else none (= every host address).
 */
export function effectiveHostIP(m: NormalizedMapping, n: NormalizedNetwork | undefined): IPAddress | undefined {
  if (m.hostIP) return m.hostIP;
  if (m.family === 4 && n?.hostBindingIPv4) return n.hostBindingIPv4;
  return undefined;
}

/** Throws if a mapping cannot be added to `state` (unknown or internal network, or a clash). */
export function checkMappingFits(m: NormalizedMapping, state: DeclaredState): void {
  const n = state.networks.get(m.networkId);
  const what = `port mapping ${m.hostIP?.text ?? "*"}:${m.hostPort}/${m.proto}`;
  if (!n) throw new Error(`${what}: unknown network ${m.networkId}`);
  if (n.internal) throw new Error(`${what}: network ${n.id} is internal, its ports cannot be published`);
  const host = effectiveHostIP(m, n)?.text ?? "*";
  for (const o of state.mappings.values()) {
    if (o.id === m.id || o.family !== m.family || o.proto !== m.proto || o.hostPort !== m.hostPort) continue;
    const oHost = effectiveHostIP(o, state.networks.get(o.networkId))?.text ?? "*";
    if (oHost === host) throw new Error(`${what}: host port already published (to ${o.containerIP.text}:${o.containerPort})`);
  }
}
