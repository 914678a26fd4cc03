/**
 * An address of either family as a value: the family and a BigInt (< 2^32
 * for IPv4). The form for comparing, ordering and prefix arithmetic; the
 * kernel's byte form is in wire.ts, IPAM's number form in ipv4.ts/ipv6.ts.
 */
import { formatIPv4, parseIPv4 } from "./ipv4.js";
import { formatIPv6, parseIPv6 } from "./ipv6.js";

export type IpFamily = 4 | 6;

/** An address of either family; IPv4 values are < 2^32. */
export interface IpValue {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** Bits in an address of the family. */
export function familyWidth(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/**
 * Parses an address of either family, or undefined. IPv4-mapped IPv6
 * (::ffff:a.b.c.d) stays IPv6 here: callers that mean "the same host" unmap
 * it (unmapIPv4), callers that keep what was written do not.
 */
export function parseIpValue(text: string): IpValue | undefined {
  if (text.indexOf(":") < 0) {
    const v4 = parseIPv4(text);
    return v4 === undefined ? undefined : { family: 4, value: BigInt(v4) };
  }
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** Canonical text: dotted quad, or RFC 5952 for IPv6. */
export function formatIpValue(ip: IpValue): string {
  return ip.family === 4 ? formatIPv4(Number(ip.value)) : formatIPv6(ip.value);
}

/** 0.0.0.0 or ::, the "every address" wildcards. */
export function isUnspecified(ip: IpValue): boolean {
  return ip.value === 0n;
}
