// Addresses, prefixes and MACs: text <-> the form each use needs. One parser
// and one formatter per family underneath them all.
//   numbers / 16-bit groups  ipv4.ts, ipv6.ts, ipv6-offset.ts  (IPAM's hot path)
//   IpValue, Prefix (BigInt) address.ts, prefix.ts             (bookkeeping, validation)
//   IpAddress, IpPrefix      wire.ts                           (netlink bytes)
export { parseIPv4, formatIPv4 } from "./ipv4.js";
export {
  parseIPv6Into,
  parseIPv6,
  groupsToBigInt,
  bigIntToGroups,
  formatIPv6Groups,
  formatIPv6,
  unmapIPv4,
} from "./ipv6.js";
export { IPv6OffsetFormatter, groupsOffsetFrom } from "./ipv6-offset.js";
export {
  type IpFamily,
  type IpValue,
  familyWidth,
  parseIpValue,
  formatIpValue,
  isUnspecified,
} from "./address.js";
export {
  type Prefix,
  type CidrParse,
  readCidr,
  cidrAddress,
  tryParsePrefix,
  makePrefix,
  prefixToString,
  hostBits,
  prefixSize,
  prefixLast,
  prefixesOverlap,
  prefixContains,
  prefixContainsIp,
  comparePrefixes,
} from "./prefix.js";
export { type IpAddress, type IpPrefix, parseIp, formatIp, parsePrefix, formatPrefix, networkOf, broadcastOf } from "./wire.js";
export { parseMac, tryParseMac, formatMac, isMulticastMac, isZeroMac, randomLocalMac, macFromIPv4 } from "./mac.js";
