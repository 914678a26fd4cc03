// Host port allocation for published ports, per (protocol, host address).
//
// Rules: a port is taken per protocol and host address; an allocation on the
// wildcard address of a family (0.0.0.0 or ::) conflicts with the same port
// on ANY address of that family and vice versa, as sockets conflict on bind,
// and because a DNAT for "all addresses" and one for a specific address on
// the same port would make the outcome depend on rule order. IPv4 and IPv6
// are independent of each other (like IPV6_V6ONLY sockets).
//
// Ephemeral ports come from a constant range, by default Docker's Linux
// default 49153-60999 (set in libnetwork's "Added API to set ephemeral port
// allocator range"; some Docker versions read ip_local_port_range instead).
// A constant keeps allocation deterministic and independent of host sysctl
// tuning; the range is configurable. A moving cursor per (protocol, address)
// hands out ports round-robin, so a just-released port is not reused at once
// (a late packet of an old connection will not hit a new container).
//
// Pure and synchronous: state is a few maps, serialisable with toJSON /
// fromJSON. Checking that no other process already listens on a port is a
// separate, optional, async step (host-port-probe.ts).
import { isIPv4, isIPv6 } from "node:net";

export type PortProtocol = "tcp" | "udp" | "sctp";

export const DEFAULT_RANGE_START = 49153;
export const DEFAULT_RANGE_END = 60999;

export interface PortAllocatorOptions {
  /** First ephemeral port. Default 49153. */
  rangeStart?: number;
  /** Last ephemeral port (inclusive). Default 60999. */
  rangeEnd?: number;
}

/** One allocated port. hostIP is canonical; 0.0.0.0 / :: mean every address of the family. */
export interface PortAllocation {
  proto: PortProtocol;
  hostIP: string;
  port: number;
}

/** Serialised allocator (toJSON / fromJSON). */
export interface PortAllocatorState {
  version: 1;
  rangeStart: number;
  rangeEnd: number;
  allocations: PortAllocation[];
  /** Last ephemeral port handed out, per protocol and address. */
  cursors: PortAllocation[];
}

/** The requested port is taken (on that address, or on a conflicting one). */
export class PortAlreadyAllocatedError extends Error {
  constructor(
    readonly proto: PortProtocol,
    readonly hostIP: string,
    readonly port: number,
    /** The address holding the conflicting allocation (may differ from hostIP through the wildcard rule). */
    readonly conflictIP: string,
  ) {
    super(
      `port ${port}/${proto} on ${hostIP} is already allocated` + (conflictIP !== hostIP ? ` (on ${conflictIP})` : ""),
    );
    this.name = "PortAlreadyAllocatedError";
  }
}

/** No port of the ephemeral range is free for that protocol and address. */
export class PortsExhaustedError extends Error {
  constructor(
    readonly proto: PortProtocol,
    readonly hostIP: string,
    range: [number, number],
  ) {
    super(`all ports ${range[0]}-${range[1]} are allocated for ${proto} on ${hostIP}`);
    this.name = "PortsExhaustedError";
  }
}

const PROTOCOLS: readonly PortProtocol[] = ["tcp", "udp", "sctp"];

/** Canonical text of a host address; undefined/"" = 0.0.0.0. Throws if invalid. */
export function canonicalHostIP(ip: string | undefined): string {
  if (ip === undefined || ip === "") return "0.0.0.0";
  if (isIPv4(ip)) return ip;
  if (isIPv6(ip) && !ip.includes("%")) return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  throw new Error(`invalid host address ${JSON.stringify(ip)}`);
}

const familyOf = (ip: string): 4 | 6 => (ip.includes(":") ? 6 : 4);
const wildcardOf = (family: 4 | 6): string => (family === 4 ? "0.0.0.0" : "::");

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what} ${String(port)} is not a port number (1-65535)`);
}

function checkProto(proto: string): asserts proto is PortProtocol {
  if (!PROTOCOLS.includes(proto as PortProtocol)) throw new Error(`unknown protocol ${JSON.stringify(proto)}`);
}

export class PortAllocator {
  readonly rangeStart: number;
  readonly rangeEnd: number;
  /** proto|ip -> ports allocated on exactly that address. */
  private readonly byAddress = new Map<string, Set<number>>();
  /** proto|family -> port -> number of addresses of that family holding it (for the wildcard rule). */
  private readonly byFamily = new Map<string, Map<number, number>>();
  /** proto|ip -> last ephemeral port handed out. */
  private readonly cursors = new Map<string, number>();

  constructor(opts: PortAllocatorOptions = {}) {
    this.rangeStart = opts.rangeStart ?? DEFAULT_RANGE_START;
    this.rangeEnd = opts.rangeEnd ?? DEFAULT_RANGE_END;
    checkPort(this.rangeStart, "range start");
    checkPort(this.rangeEnd, "range end");
    if (this.rangeStart > this.rangeEnd) throw new Error(`empty port range ${this.rangeStart}-${this.rangeEnd}`);
  }

  /**
   * Allocates `port` (1-65535) for proto on hostIP (default 0.0.0.0), or,
   * when port is 0/undefined, the next free port of the ephemeral range.
   * Returns the port. Throws PortAlreadyAllocatedError / PortsExhaustedError.
   */
  requestPort(proto: PortProtocol, hostIP?: string, port = 0): number {
    checkProto(proto);
    const ip = canonicalHostIP(hostIP);
    if (port === 0) return this.allocateEphemeral(proto, ip);
    checkPort(port, "port");
    const conflict = this.conflictFor(proto, ip, port);
    if (conflict !== undefined) throw new PortAlreadyAllocatedError(proto, ip, port, conflict);
    this.insert(proto, ip, port);
    return port;
  }

  /** Releases a port; returns false if it was not allocated. */
  releasePort(proto: PortProtocol, hostIP: string | undefined, port: number): boolean {
    checkProto(proto);
    const ip = canonicalHostIP(hostIP);
    const set = this.byAddress.get(`${proto}|${ip}`);
    if (!set?.delete(port)) return false;
    if (set.size === 0) this.byAddress.delete(`${proto}|${ip}`);
    const fam = this.byFamily.get(`${proto}|${familyOf(ip)}`)!;
    const n = (fam.get(port) ?? 1) - 1;
    if (n === 0) fam.delete(port);
    else fam.set(port, n);
    return true;
  }

  /** True if requesting this port on this address would fail (wildcard rule included). */
  isTaken(proto: PortProtocol, hostIP: string | undefined, port: number): boolean {
    checkProto(proto);
    return this.conflictFor(proto, canonicalHostIP(hostIP), port) !== undefined;
  }

  /** Every allocation, sorted by protocol, address, port. */
  allocations(): PortAllocation[] {
    const out: PortAllocation[] = [];
    for (const [key, ports] of this.byAddress) {
      const [proto, hostIP] = splitKey(key);
      for (const port of ports) out.push({ proto, hostIP, port });
    }
    return out.sort(compareAllocations);
  }

  /** Forgets every allocation (cursors included). */
  releaseAll(): void {
    this.byAddress.clear();
    this.byFamily.clear();
    this.cursors.clear();
  }

  toJSON(): PortAllocatorState {
    const cursors = [...this.cursors].map(([key, port]) => {
      const [proto, hostIP] = splitKey(key);
      return { proto, hostIP, port };
    });
    return {
      version: 1,
      rangeStart: this.rangeStart,
      rangeEnd: this.rangeEnd,
      allocations: this.allocations(),
      cursors: cursors.sort(compareAllocations),
    };
  }

  /** Rebuilds an allocator; throws if the state is malformed or holds conflicting allocations. */
  static fromJSON(state: PortAllocatorState): PortAllocator {
    if (state?.version !== 1) throw new Error("port allocator state: unsupported version");
    const pa = new PortAllocator({ rangeStart: state.rangeStart, rangeEnd: state.rangeEnd });
    for (const a of state.allocations) pa.requestPort(a.proto, a.hostIP, a.port);
    for (const c of state.cursors) {
      checkProto(c.proto);
      checkPort(c.port, "cursor");
      pa.cursors.set(`${c.proto}|${canonicalHostIP(c.hostIP)}`, c.port);
    }
    return pa;
  }

  // ---- internals ---------------------------------------------------------

  /** The address whose allocation blocks (proto, ip, port), or undefined if free. */
  private conflictFor(proto: PortProtocol, ip: string, port: number): string | undefined {
    const family = familyOf(ip);
    const wildcard = wildcardOf(family);
    if (this.byAddress.get(`${proto}|${ip}`)?.has(port)) return ip;
    if (ip === wildcard) {
      if (!this.byFamily.get(`${proto}|${family}`)?.has(port)) return undefined;
      // Some specific address holds it: name one (rare path, linear is fine).
      for (const [key, ports] of this.byAddress) {
        const [p, other] = splitKey(key);
        if (p === proto && familyOf(other) === family && ports.has(port)) return other;
      }
      return undefined;
    }
    if (this.byAddress.get(`${proto}|${wildcard}`)?.has(port)) return wildcard;
    return undefined;
  }

  private insert(proto: PortProtocol, ip: string, port: number): void {
    const key = `${proto}|${ip}`;
    let set = this.byAddress.get(key);
    if (!set) this.byAddress.set(key, (set = new Set()));
    set.add(port);
    const famKey = `${proto}|${familyOf(ip)}`;
    let fam = this.byFamily.get(famKey);
    if (!fam) this.byFamily.set(famKey, (fam = new Map()));
    fam.set(port, (fam.get(port) ?? 0) + 1);
  }

  private allocateEphemeral(proto: PortProtocol, ip: string): number {
    const key = `${proto}|${ip}`;
    const size = this.rangeEnd - this.rangeStart + 1;
    const last = this.cursors.get(key);
    // Start just after the last port handed out (or at the range start).
    const first = last === undefined || last < this.rangeStart || last >= this.rangeEnd ? 0 : last - this.rangeStart + 1;
    for (let i = 0; i < size; i++) {
      const port = this.rangeStart + ((first + i) % size);
      if (this.conflictFor(proto, ip, port) === undefined) {
        this.insert(proto, ip, port);
        this.cursors.set(key, port);
        return port;
      }
    }
    throw new PortsExhaustedError(proto, ip, [this.rangeStart, this.rangeEnd]);
  }
}

function splitKey(key: string): [PortProtocol, string] {
  const bar = key.indexOf("|");
  return [key.slice(0, bar) as PortProtocol, key.slice(bar + 1)];
}

function compareAllocations(a: PortAllocation, b: PortAllocation): number {
  return a.proto.localeCompare(b.proto) || a.hostIP.localeCompare(b.hostIP) || a.port - b.port;
}
