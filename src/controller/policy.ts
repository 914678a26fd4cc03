import type { GlobalStore, NetworkRecord } from "../controllerapi/index.js";
import { OptionKeys } from "../driverapi/index.js";

/**
 * The rules every operation consults about a network, as predicates over its
 * record. Kept apart from the operations (this module imports none), so the
 * DNS, the gateway and the cluster code ask the same questions the same way.
 */

/**
 * The local bridge network that gives a way out to sandboxes whose networks
 * give them no default gateway (an overlay is one), as Docker's.
 */
export const GATEWAY_NETWORK = "docker_gwbridge";

/** Drivers that manage no addresses (Docker skips IPAM for them). */
const NO_IPAM_DRIVERS = new Set(["null", "host"]);

/** True for the controller's own docker_gwbridge (a user's global network of that name is not it). */
export function isGatewayNetwork(net: Pick<NetworkRecord, "name" | "scope">): boolean {
  return net.name === GATEWAY_NETWORK && net.scope === "local";
}

/** True when the network's driver takes addresses from IPAM. */
export function managesAddresses(driver: string): boolean {
  return !NO_IPAM_DRIVERS.has(driver);
}

/**
 * True when an endpoint on this network reaches beyond the host and so wants
 * a default gateway (libnetwork's needDefaultGW: not null, not host, not
 * internal).
 */
export function wantsGateway(net: Pick<NetworkRecord, "driver" | "internal">): boolean {
  return !NO_IPAM_DRIVERS.has(net.driver) && !net.internal;
}

/** Docker's hasExternalAccess for a sandbox: on some network that is neither internal nor none (host counts). */
export function givesExternalAccess(net: Pick<NetworkRecord, "driver" | "internal">): boolean {
  return !net.internal && net.driver !== "null";
}

/**
 * Networks whose sandboxes find each other by name through the embedded DNS,
 * as Docker decides: every network but the default bridge (where containers
 * only ever had links), host and none, and docker_gwbridge (a way out, not a
 * place to meet).
 */
export function servesNames(net: NetworkRecord): boolean {
  if (net.driver === "host" || net.driver === "null") return false;
  if (net.driverOpts[OptionKeys.bridgeDefaultBridge] === "true") return false;
  return !isGatewayNetwork(net);
}

/**
 * True when the network's life on this host follows its endpoints: global
 * scope on a host of a cluster (with a global store). Such a network is the
 * cluster's record; a host makes it in its kernel and joins its gossip only
 * while it has endpoints on it.
 */
export function isClusterNetwork(ctx: { readonly globalStore: GlobalStore | undefined }, net: Pick<NetworkRecord, "scope">): boolean {
  return ctx.globalStore !== undefined && net.scope !== "local";
}

/** True when the network gossips (beyond local scope): its driver's tables and endpoint-owned entries go to the cluster. */
export function gossips(net: Pick<NetworkRecord, "scope">): boolean {
  return net.scope !== "local";
}
