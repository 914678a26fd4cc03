/**
 * IPv4 text <-> a plain number (< 2^32). Numbers, never BigInt: IPAM hands
 * out millions of IPv4 addresses a second through these two functions.
 */

/**
 * Parses dotted-quad IPv4 ("172.18.0.2") in s[from, end) into a number, or
 * undefined. Leading zeros are refused ("010" is octal to inet_aton and to
 * some tools, decimal to others). The bounds let callers skip a "/len" or
 * read the dotted tail of an IPv6 address without slicing.
 */
export function parseIPv4(s: string, from = 0, end = s.length): number | undefined {
  const n = end - from;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return undefined;
      part = part * 10 + (c - 48);
      if (part > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

export function formatIPv4(n: number): string {
  return (n >>> 24) + "." + ((n >>> 16) & 255) + "." + ((n >>> 8) & 255) + "." + (n & 255);
}
