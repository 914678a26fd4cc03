import { type IpValue, type Prefix, isMulticastMac, isZeroMac, makePrefix, parseIpValue, prefixToString, readCidr, tryParseMac } from "../inet/index.js";
import { badRequest, printable } from "./http-errors.js";

/**
 * Address and CIDR checks with Docker's wording, made before anything
 * reaches the controller, so a malformed value is a 400 naming the field
 * rather than an error from deep inside IPAM.
 */

export function parseAddress(text: string, what: string): IpValue {
  const ip = parseIpValue(text);
  if (!ip) throw badRequest(`invalid ${what} ${printable(text)}: not an IP address`);
  return ip;
}

export function parseAddressOfFamily(text: string, family: 4 | 6, what: string): IpValue {
  const ip = parseIpValue(text);
  if (!ip || ip.family !== family) throw badRequest(`invalid ${what}: ${printable(text)} is not an IPv${family} address`);
  return ip;
}

export interface ParsedCidr {
  /** The address as written, host bits kept. */
  readonly ip: IpValue;
  readonly prefix: Prefix;
}

/** "10.1.0.0/24"; with `canonical`, host bits must be zero ("invalid subnet 10.1.0.5/24: it should be 10.1.0.0/24"). */
export function parseCidr(text: string, what: string, canonical: boolean): ParsedCidr {
  // Docker answers every malformed CIDR alike, whatever part of it is wrong.
  const r = readCidr(text);
  if ("error" in r) throw badRequest(`invalid ${what} ${printable(text)}: not a CIDR address`);
  const prefix = makePrefix(r.ip.family, r.ip.value, r.bits);
  if (canonical && prefix.addr !== r.ip.value) {
    throw badRequest(`invalid ${what} ${printable(text)}: it should be ${prefixToString(prefix)}`);
  }
  return { ip: r.ip, prefix };
}

/** Unicast MAC "02:42:ac:11:00:02" (or with dashes); multicast and all-zero MACs cannot name an interface. */
export function checkMacAddress(text: string, what: string): void {
  const mac = tryParseMac(text);
  if (mac === undefined) throw badRequest(`invalid ${what} ${printable(text)}: not a 48-bit MAC address`);
  if (isMulticastMac(mac)) throw badRequest(`invalid ${what} ${printable(text)}: a multicast address cannot be an interface's`);
  if (isZeroMac(mac)) throw badRequest(`invalid ${what} ${printable(text)}: the zero address cannot be an interface's`);
}
