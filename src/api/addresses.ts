import { familyWidth, formatIp, parseIp, type IpValue } from "../ipam/ip-address.js";
import { makePrefix, prefixContainsAddress, prefixToString, type Prefix } from "../ipam/prefix.js";
import { badRequest, printable } from "./http-errors.js";

/**
 * Address and CIDR checks with Docker's wording, made before anything
 * reaches the controller, so a malformed value is a 400 naming the field
 * rather than an error from deep inside IPAM.
 */

export function parseAddress(text: string, what: string): IpValue {
  const ip = parseIp(text);
  if (!ip) throw badRequest(`invalid ${what} ${printable(text)}: not an IP address`);
  return ip;
}

export function parseAddressOfFamily(text: string, family: 4 | 6, what: string): IpValue {
  const ip = parseIp(text);
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
  const slash = text.indexOf("/");
  const ip = slash > 0 ? parseIp(text.slice(0, slash)) : undefined;
  const lenText = slash > 0 ? text.slice(slash + 1) : "";
  if (!ip || !/^(0|[1-9][0-9]{0,2})$/.test(lenText) || Number(lenText) > familyWidth(ip.family)) {
    throw badRequest(`invalid ${what} ${printable(text)}: not a CIDR address`);
  }
  const prefix = makePrefix(ip.family, ip.value, Number(lenText));
  if (canonical && prefix.addr !== ip.value) {
    throw badRequest(`invalid ${what} ${printable(text)}: it should be ${prefixToString(prefix)}`);
  }
  return { ip, prefix };
}

export function prefixContainsIp(p: Prefix, ip: IpValue): boolean {
  return prefixContainsAddress(p, ip.family, ip.value);
}

export { formatIp, prefixToString };

/** Unicast MAC "02:42:ac:11:00:02" (or with dashes); multicast and all-zero MACs cannot name an interface. */
export function checkMacAddress(text: string, what: string): void {
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(text)) {
    throw badRequest(`invalid ${what} ${printable(text)}: not a 48-bit MAC address`);
  }
  const first = parseInt(text.slice(0, 2), 16);
  if (first & 1) throw badRequest(`invalid ${what} ${printable(text)}: a multicast address cannot be an interface's`);
  if (/^0{2}([:-]0{2}){5}$/.test(text)) throw badRequest(`invalid ${what} ${printable(text)}: the zero address cannot be an interface's`);
}
