/** MAC (link-layer) addresses: text <-> bytes, and what may name an interface. */
import { randomBytes } from "node:crypto";

const MAC_PATTERN = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/** "02:42:ac:11:00:02" (or with dashes) as 6 bytes, or undefined. */
export function tryParseMac(text: string): Buffer | undefined {
  if (!MAC_PATTERN.test(text)) return undefined;
  return Buffer.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
}

/** Parses "02:42:ac:11:00:02" (or with dashes) into 6 bytes. */
export function parseMac(text: string): Buffer {
  const mac = tryParseMac(text);
  if (mac === undefined) throw new TypeError(`invalid MAC address "${text}"`);
  return mac;
}

/** Formats link-layer bytes as lowercase colon-separated hex (any length). */
export function formatMac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Group (multicast or broadcast) addresses have the low bit of the first byte set. */
export function isMulticastMac(mac: Uint8Array): boolean {
  return ((mac[0] ?? 0) & 1) === 1;
}

export function isZeroMac(mac: Uint8Array): boolean {
  return mac.every((b) => b === 0);
}

/** A random locally administered unicast MAC (as libnetwork's GenerateRandomMAC). */
/**
 * Docker's MAC for an endpoint with an IPv4 address: 02:42 then the address's
 * four bytes, so an address that comes back keeps the MAC neighbour caches hold.
 */
export function macFromIPv4(bytes: Uint8Array): string {
  return formatMac(Uint8Array.of(0x02, 0x42, ...bytes.subarray(0, 4)));
}

export function randomLocalMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return formatMac(b);
}
