/**
 * The host's routes, which predefined pools must not overlap (a network on
 * 192.168.0.0/20 is useless on a host whose LAN is 192.168.1.0/24).
 *
 * The default IPAM takes routes from an injectable provider: the daemon
 * passes a netlink one, tests and tools may pass linux/'s `ip -j route`
 * reader (re-exported by ipam/index.ts). It is only consulted when a pool is
 * requested without --subnet, never per address.
 */

/** Returns the destinations of the host's routes as CIDRs. Default routes may be included; they are ignored. */
export type HostRoutesProvider = () => readonly string[];

/** A provider for hosts (and tests) whose routes should not matter. */
export const noHostRoutes: HostRoutesProvider = () => [];
