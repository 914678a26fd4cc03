// IPv4 subnet arithmetic for handing out the gateway and sandbox addresses.

export interface Ipv4Subnet {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefixLen: number;
}

function toInt(addr: string): number {
  const parts = addr.split(".");
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${addr}`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`not an IPv4 address: ${addr}`);
    v = v * 256 + Number(p);
  }
  return v;
}

function toDotted(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

/** Parses "a.b.c.d/len"; the address must be the network address itself. */
export function parseSubnet(cidr: string): Ipv4Subnet {
  const [addr, len] = cidr.split("/");
  const prefixLen = Number(len);
  if (addr === undefined || !Number.isInteger(prefixLen) || prefixLen < 1 || prefixLen > 30) {
    throw new Error(`not an IPv4 subnet with prefix 1..30: ${cidr}`);
  }
  const base = toInt(addr);
  const hostBits = 32 - prefixLen;
  if (base % 2 ** hostBits !== 0) throw new Error(`${cidr} has host bits set`);
  return { base, prefixLen };
}

/** Number of usable host addresses (network and broadcast excluded). */
export function hostCount(s: Ipv4Subnet): number {
  return 2 ** (32 - s.prefixLen) - 2;
}

/** The k-th host address of the subnet (k = 1 is the first usable one). */
export function hostAddress(s: Ipv4Subnet, k: number): string {
  if (k < 1 || k > hostCount(s)) throw new RangeError(`host ${k} outside the subnet`);
  return toDotted(s.base + k);
}

/** True when `addr` (no prefix) lies inside the subnet. */
export function contains(s: Ipv4Subnet, addr: string): boolean {
  const v = toInt(addr);
  return v - s.base >= 0 && v - s.base < 2 ** (32 - s.prefixLen);
}
