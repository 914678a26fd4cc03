import type { EndpointRecord, IpamConfig, IpamGrant, NetworkRecord, SandboxRecord } from "../controllerapi/index.js";

/** Docker's IPAMConfig: empty fields are left out (omitempty). */
export interface DockerIpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** Docker's EndpointResource: one container (here, sandbox) on a network. */
export interface DockerEndpointResource {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** Docker's network inspect shape (api/types/network.Inspect), field for field and in Docker's order. */
export interface DockerNetwork {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: DockerIpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, DockerEndpointResource>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** An ISO timestamp as Go's RFC3339Nano prints it: trailing zeros of the fraction dropped. */
export function rfc3339Nano(iso: string): string {
  return iso.replace(/\.([0-9]*?)0+Z$/, (_m, digits: string) => (digits === "" ? "Z" : `.${digits}Z`));
}

function withoutPrefix(cidr: string): string {
  const slash = cidr.indexOf("/");
  return slash < 0 ? cidr : cidr.slice(0, slash);
}

/** The config the user gave for a granted pool: the one naming that subnet, else the one at the same index. */
function userConfigFor(grant: IpamGrant, index: number, configs: readonly IpamConfig[]): IpamConfig | undefined {
  return configs.find((c) => c.subnet === grant.pool) ?? configs[index];
}

function ipamConfigs(grants: readonly IpamGrant[], configs: readonly IpamConfig[]): DockerIpamConfig[] {
  return grants.map((g, i) => {
    const out: DockerIpamConfig = { Subnet: g.pool };
    const ipRange = userConfigFor(g, i, configs)?.ipRange;
    if (ipRange) out.IPRange = ipRange;
    if (g.gateway) out.Gateway = withoutPrefix(g.gateway);
    const aux = Object.entries(g.auxAddresses);
    if (aux.length > 0) out.AuxiliaryAddresses = Object.fromEntries(aux.map(([k, v]) => [k, withoutPrefix(v)]));
    return out;
  });
}

export interface AttachedEndpoint {
  readonly endpoint: Readonly<EndpointRecord>;
  readonly sandbox?: Readonly<SandboxRecord>;
}

/**
 * A network as `docker network inspect` shows it. The list (`attached`
 * absent) leaves Containers empty, as Docker's list does since API 1.28.
 */
export function networkView(net: Readonly<NetworkRecord>, attached?: readonly AttachedEndpoint[]): DockerNetwork {
  const containers: Record<string, DockerEndpointResource> = {};
  for (const { endpoint: ep, sandbox } of attached ?? []) {
    // Docker keys an endpoint with no container as "ep-<endpoint id>".
    containers[sandbox ? sandbox.id : `ep-${ep.id}`] = {
      Name: sandbox ? sandbox.name : ep.name,
      EndpointID: ep.id,
      MacAddress: ep.mac ?? "",
      IPv4Address: ep.address ?? "",
      IPv6Address: ep.addressIPv6 ?? "",
    };
  }
  return {
    Name: net.name,
    Id: net.id,
    Created: rfc3339Nano(net.created),
    Scope: net.scope,
    Driver: net.driver,
    EnableIPv4: true,
    EnableIPv6: net.enableIPv6,
    IPAM: {
      Driver: net.ipamDriver,
      Options: { ...net.ipamOptions },
      Config: [...ipamConfigs(net.ipv4, net.ipv4Config), ...ipamConfigs(net.ipv6, net.ipv6Config)],
    },
    Internal: net.internal,
    Attachable: net.attachable,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: containers,
    Options: { ...net.driverOpts },
    Labels: { ...net.labels },
  };
}
