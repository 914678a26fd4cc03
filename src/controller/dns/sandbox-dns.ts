import type { EndpointRecord, NetworkRecord, SandboxRecord } from "../../controllerapi/index.js";
import { cidrAddress } from "../../inet/index.js";
import type { NameAnswer, ResolverRecords, Upstream } from "../../resolver/contract.js";
import type { ControllerContext } from "../context.js";
import { shortId } from "../ids.js";
import { givesExternalAccess, servesNames } from "../policy.js";
import { isLoopback } from "./sandbox-files.js";
import type { NameRecord } from "./service-records.js";

/**
 * What an endpoint answers to on its network: the sandbox's name, the
 * endpoint's if it differs, its aliases, and the sandbox's short id (as
 * Docker adds a container's short id to its DNS names).
 */
export function nameRecordOf(sb: SandboxRecord, ep: EndpointRecord): NameRecord {
  // An engine's container answers to the names the engine told (none yet: nameless).
  const names =
    sb.engine !== undefined
      ? [...new Set([...(ep.engineNames ?? []), ...ep.aliases])]
      : [...new Set([sb.name, ...(ep.name !== sb.name ? [ep.name] : []), ...ep.aliases, shortId(sb.id)])];
  return {
    names,
    ...(ep.address ? { ipv4: cidrAddress(ep.address) } : {}),
    ...(ep.addressIPv6 ? { ipv6: cidrAddress(ep.addressIPv6) } : {}),
  };
}

/** The sandbox's networks that serve names, in join order (the first to know a name answers). */
function namedNetworks(ctx: ControllerContext, sb: SandboxRecord): NetworkRecord[] {
  const out: NetworkRecord[] = [];
  for (const eid of sb.endpoints) {
    const ep = ctx.endpoints.get(eid);
    const net = ep && ctx.networks.get(ep.networkId);
    if (net && servesNames(net)) out.push(net);
  }
  return out;
}

function answerOf(records: readonly NameRecord[]): NameAnswer {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  for (const r of records) {
    if (r.ipv4) ipv4.push(r.ipv4);
    if (r.ipv6) ipv6.push(r.ipv6);
  }
  return { ipv4, ipv6 };
}

/**
 * The names as one sandbox sees them, following Docker's ResolveName: a name
 * is looked up on each of the sandbox's networks in join order; failing that,
 * "name.network" is looked up on that network alone. PTR answers
 * "name.network", as Docker's ResolveIP does.
 */
export function sandboxRecords(ctx: ControllerContext, sb: SandboxRecord): ResolverRecords {
  return recordsOn(ctx, () => namedNetworks(ctx, sb), () => hasWayOut(ctx, sb));
}

/**
 * The names of every network on this host that serves names, in the order
 * the networks came: what a resolver for a container engine answers (dockerd
 * forwards to it the names its own containers' networks do not know, so
 * containers on other hosts are found by name). Always forwards the rest.
 */
export function hostRecords(ctx: ControllerContext): ResolverRecords {
  return recordsOn(ctx, () => [...ctx.networks.values()].filter(servesNames), () => true);
}

/** Names looked up on these networks, first match wins, as Docker's ResolveName does for a sandbox's networks. */
function recordsOn(ctx: ControllerContext, networks: () => NetworkRecord[], forwards: () => boolean): ResolverRecords {
  return {
    lookupName(name: string): NameAnswer | undefined {
      const nets = networks();
      for (const net of nets) {
        const found = ctx.serviceRecords.lookup(net.id, name);
        if (found) return answerOf(found);
      }
      for (const net of nets) {
        const suffix = `.${net.name.toLowerCase()}`;
        if (name.length <= suffix.length || !name.endsWith(suffix)) continue;
        const found = ctx.serviceRecords.lookup(net.id, name.slice(0, -suffix.length));
        if (found) return answerOf(found);
      }
      return undefined;
    },
    forwards,
    lookupAddress(ip: string): readonly string[] | undefined {
      for (const net of networks()) {
        const found = ctx.serviceRecords.reverse(net.id, ip);
        if (found?.names[0]) return [`${found.names[0]}.${net.name.toLowerCase()}`];
      }
      return undefined;
    },
  };
}

/** Docker's hasExternalAccess: the sandbox is on some network that is not internal (and not none). */
function hasWayOut(ctx: ControllerContext, sb: SandboxRecord): boolean {
  for (const eid of sb.endpoints) {
    const ep = ctx.endpoints.get(eid);
    const net = ep && ctx.networks.get(ep.networkId);
    if (net && givesExternalAccess(net)) return true;
  }
  return false;
}

/** Nameservers a sandbox's resolver forwards to: its own --dns, else the host's; loopback ones are reached from the host. */
export function upstreamsOf(sb: SandboxRecord, hostNameservers: readonly string[]): Upstream[] {
  const servers = sb.dns.length > 0 ? sb.dns : hostNameservers;
  return servers.map((address) => (isLoopback(address) ? { address, fromHost: true } : { address }));
}

/** The names the embedded DNS answers for an endpoint on its network; none where it serves no names (the default bridge). */
export function dnsNamesOf(sb: SandboxRecord, ep: EndpointRecord, net: NetworkRecord): string[] {
  return servesNames(net) ? [...nameRecordOf(sb, ep).names] : [];
}
