import { bool, int, list, map, obj, str, stringMap, type JsonSchema } from "./json-schema.js";

/**
 * Request shapes, as JSON schemas for ajv (types only: Docker ignores
 * unknown fields and accepts null for any field, but a wrong type is 400)
 * and as the TypeScript types the handlers read. Semantic checks (names,
 * addresses, ranges) are made by the handlers with Docker's messages.
 */

type Nullable<T> = T | null | undefined;
type StringMap = Nullable<Record<string, string>>;

export interface IpamConfigBody {
  Subnet?: Nullable<string>;
  IPRange?: Nullable<string>;
  Gateway?: Nullable<string>;
  AuxiliaryAddresses?: StringMap;
}

/** POST /networks/create (Docker's network.CreateRequest). */
export interface NetworkCreateBody {
  Name?: Nullable<string>;
  Driver?: Nullable<string>;
  Scope?: Nullable<string>;
  EnableIPv4?: Nullable<boolean>;
  EnableIPv6?: Nullable<boolean>;
  IPAM?: Nullable<{ Driver?: Nullable<string>; Config?: Nullable<Nullable<IpamConfigBody>[]>; Options?: StringMap }>;
  Internal?: Nullable<boolean>;
  Attachable?: Nullable<boolean>;
  Ingress?: Nullable<boolean>;
  ConfigOnly?: Nullable<boolean>;
  ConfigFrom?: Nullable<{ Network?: Nullable<string> }>;
  Options?: StringMap;
  Labels?: StringMap;
  CheckDuplicate?: Nullable<boolean>;
}

export const networkCreateSchema: JsonSchema = obj({
  Name: str(),
  Driver: str(),
  Scope: str(),
  EnableIPv4: bool,
  EnableIPv6: bool,
  IPAM: obj({
    Driver: str(),
    Config: list({ type: ["object", "null"], properties: { Subnet: str(), IPRange: str(), Gateway: str(), AuxiliaryAddresses: stringMap } }, 64),
    Options: stringMap,
  }),
  Internal: bool,
  Attachable: bool,
  Ingress: bool,
  ConfigOnly: bool,
  ConfigFrom: obj({ Network: str() }),
  Options: stringMap,
  Labels: stringMap,
  CheckDuplicate: bool,
});

export interface EndpointConfigBody {
  IPAMConfig?: Nullable<{ IPv4Address?: Nullable<string>; IPv6Address?: Nullable<string>; LinkLocalIPs?: Nullable<string[]> }>;
  Links?: Nullable<string[]>;
  Aliases?: Nullable<string[]>;
  DriverOpts?: StringMap;
  GwPriority?: Nullable<number>;
  MacAddress?: Nullable<string>;
}

/** POST /networks/{id}/connect (Docker's network.ConnectOptions). */
export interface ConnectBody {
  Container?: Nullable<string>;
  EndpointConfig?: Nullable<EndpointConfigBody>;
}

export const connectSchema: JsonSchema = obj({
  Container: str(),
  EndpointConfig: obj({
    IPAMConfig: obj({ IPv4Address: str(), IPv6Address: str(), LinkLocalIPs: list(str()) }),
    Links: list(str()),
    Aliases: list(str()),
    DriverOpts: stringMap,
    GwPriority: int,
    MacAddress: str(),
    // Output fields of EndpointSettings: the CLI sends them empty; Docker decodes (so type-checks) and ignores them.
    NetworkID: str(),
    EndpointID: str(),
    Gateway: str(),
    IPAddress: str(),
    IPPrefixLen: int,
    IPv6Gateway: str(),
    GlobalIPv6Address: str(),
    GlobalIPv6PrefixLen: int,
    DNSNames: list(str()),
  }),
});

/** POST /networks/{id}/disconnect. */
export interface DisconnectBody {
  Container?: Nullable<string>;
  Force?: Nullable<boolean>;
}

export const disconnectSchema: JsonSchema = obj({ Container: str(), Force: bool });

/** One entry of Docker's HostConfig.PortBindings. */
export interface PortBindingBody {
  HostIp?: Nullable<string>;
  HostPort?: Nullable<string>;
}

/** POST /sandboxes/create: cnm's own, in Docker's container-create vocabulary. */
export interface SandboxCreateBody {
  Name?: Nullable<string>;
  Hostname?: Nullable<string>;
  Domainname?: Nullable<string>;
  Dns?: Nullable<string[]>;
  DnsSearch?: Nullable<string[]>;
  ExtraHosts?: Nullable<string[]>;
  PortBindings?: Nullable<Record<string, Nullable<Nullable<PortBindingBody>[]>>>;
  NetworkMode?: Nullable<string>;
}

export const sandboxCreateSchema: JsonSchema = obj({
  Name: str(),
  Hostname: str(),
  Domainname: str(),
  Dns: list(str(), 16),
  DnsSearch: list(str(), 16),
  ExtraHosts: list(str(), 1024),
  PortBindings: map(list({ type: ["object", "null"], properties: { HostIp: str(), HostPort: str() } }, 64), 1024),
  NetworkMode: str(),
});

export interface FiltersQuery {
  filters?: string;
}
export const filtersQuerySchema: JsonSchema = { type: "object", properties: { filters: { type: "string" } } };

export interface InspectQuery {
  verbose?: string;
  scope?: string;
}
export const inspectQuerySchema: JsonSchema = {
  type: "object",
  properties: { verbose: { type: "string" }, scope: { type: "string" } },
};
