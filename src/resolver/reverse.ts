/**
 * PTR owner names -> addresses: "4.3.2.1.in-addr.arpa" -> "1.2.3.4" and the
 * 32 reversed nibbles of ip6.arpa -> RFC 5952 text. A name under either
 * domain that is not a full address (a partial zone, bad digits) gives
 * undefined, and Docker forwards such a query.
 */
import { formatIPv6Groups } from "../inet/index.js";

const V4_SUFFIX = ".in-addr.arpa";
const V6_SUFFIX = ".ip6.arpa";

function reverseV4(name: string, end: number): string | undefined {
  const parts = name.slice(0, end).split(".");
  if (parts.length !== 4) return undefined;
  for (const p of parts) {
    // Decimal 0..255 without leading zeros, as the address text has none.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
  }
  return `${parts[3]}.${parts[2]}.${parts[1]}.${parts[0]}`;
}

const groups = new Array<number>(8);

function reverseV6(name: string, end: number): string | undefined {
  if (end !== 63) return undefined; // 32 nibbles and 31 dots
  for (let g = 0; g < 8; g++) groups[g] = 0;
  for (let i = 0; i < 32; i++) {
    const at = i * 2;
    if (i < 31 && name.charCodeAt(at + 1) !== 0x2e) return undefined;
    const c = name.charCodeAt(at);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return undefined;
    // Nibble i counts from the least significant end of the address.
    const nibble = 31 - i;
    const g = nibble >> 2;
    groups[g] = groups[g]! | (digit << ((3 - (nibble & 3)) * 4));
  }
  return formatIPv6Groups(groups);
}

/** The address a lower-case PTR owner name stands for, or undefined. */
export function addressOfPtrName(name: string): string | undefined {
  if (name.endsWith(V4_SUFFIX)) return reverseV4(name, name.length - V4_SUFFIX.length);
  if (name.endsWith(V6_SUFFIX)) return reverseV6(name, name.length - V6_SUFFIX.length);
  return undefined;
}
