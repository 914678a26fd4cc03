import { InvalidCidrError } from "../ipamapi/errors.js";
import { type Prefix, makePrefix, readCidr } from "../inet/index.js";

/**
 * A CIDR handed to IPAM (pool, sub-pool, exclusion, saved state) with its
 * host bits cleared, as libnetwork does with --subnet 172.18.0.5/16.
 * Throws InvalidCidrError saying what is wrong.
 */
export function parseIpamCidr(text: string): Prefix {
  const r = readCidr(text);
  if ("error" in r) throw new InvalidCidrError(text, r.error);
  return makePrefix(r.ip.family, r.ip.value, r.bits);
}
