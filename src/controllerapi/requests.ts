import type { PortBinding } from "../driverapi/index.js";
import type { IpamConfig } from "./records.js";

/** What a user asks for when creating a network (the fields of `docker network create`). */
export interface NetworkCreateRequest {
  readonly name: string;
  /**
   * The id, for a global-scope network that another node created already
   * (the same network must have the same id everywhere). Default: a new one.
   */
  readonly id?: string;
  /** Default "bridge". */
  readonly driver?: string;
  readonly ipam?: {
    /** Default "default". */
    readonly driver?: string;
    readonly config?: readonly IpamConfig[];
    readonly options?: Readonly<Record<string, string>>;
  };
  readonly enableIPv6?: boolean;
  readonly internal?: boolean;
  readonly attachable?: boolean;
  /** Driver options (-o key=value). */
  readonly options?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A sandbox: the network side of a container. */
export interface SandboxCreateRequest {
  readonly name: string;
  readonly hostname?: string;
  readonly domainname?: string;
  /** Nameservers for resolv.conf; default: the host's, minus loopback ones. */
  readonly dns?: readonly string[];
  readonly dnsSearch?: readonly string[];
  readonly extraHosts?: readonly { name: string; ip: string }[];
  /** Ports to publish on whichever network provides the sandbox's gateway. */
  readonly portBindings?: readonly PortBinding[];
  /** Share the host's network namespace (docker run --network host). */
  readonly useHostNetwork?: boolean;
}

/** Options of `docker network connect`. */
export interface ConnectRequest {
  /** Endpoint name; default: the sandbox's name. */
  readonly endpointName?: string;
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly macAddress?: string;
  readonly aliases?: readonly string[];
  /** Higher priority wins the default gateway. */
  readonly gatewayPriority?: number;
  readonly driverOpts?: Readonly<Record<string, string>>;
}
