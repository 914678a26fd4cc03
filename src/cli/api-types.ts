// The shapes the daemon's API answers with, as far as the CLI reads them
// (Docker Engine API names for networks; cnm's own for sandboxes). Fields the
// CLI only passes through (--format json) need not be listed.

export interface ApiNetwork {
  Name: string;
  Id: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv4?: boolean;
  EnableIPv6?: boolean;
  IPAM?: {
    Driver?: string;
    Options?: Record<string, string> | null;
    Config?: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[] | null;
  };
  Internal?: boolean;
  Attachable?: boolean;
  Containers?: Record<string, ApiNetworkContainer> | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

export interface ApiNetworkContainer {
  Name?: string;
  EndpointID?: string;
  MacAddress?: string;
  IPv4Address?: string;
  IPv6Address?: string;
}

export interface ApiNetworkCreated {
  Id: string;
  Warning?: string;
}

export interface ApiPrune {
  NetworksDeleted?: string[] | null;
}

export interface ApiSandboxEndpoint {
  NetworkID?: string;
  EndpointID?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  Gateway?: string;
  MacAddress?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  IPv6Gateway?: string;
  Aliases?: string[] | null;
}

export interface ApiSandbox {
  Id: string;
  Name: string;
  /** The namespace path: what `sandbox exec` enters. */
  Key: string;
  Created?: string;
  Hostname?: string;
  HostsPath?: string;
  ResolvConfPath?: string;
  NetworkMode?: string;
  Networks?: Record<string, ApiSandboxEndpoint> | null;
  /** {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]} with the ports actually bound. */
  Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
}

export interface ApiSandboxCreated {
  Id: string;
}
