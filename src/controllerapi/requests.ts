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

/**
 * An endpoint for a container engine's container (Docker's CreateEndpoint):
 * the addresses were reserved before by the engine (Controller.reserveAddress)
 * and stay the engine's to release.
 */
export interface EngineEndpointRequest {
  /** The engine's id of the endpoint (64 hex digits), taken as cnm's so the engine's later calls name it directly. */
  readonly id: string;
  readonly name: string;
  /** CIDR or bare address, reserved on this network. */
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly macAddress?: string;
  readonly portBindings?: readonly PortBinding[];
  readonly driverOpts?: Readonly<Record<string, string>>;
}

/** A join for a container engine (Docker's Join): the sandbox is the engine's. */
export interface EngineJoinRequest {
  /** The engine's name, e.g. "docker". */
  readonly engine: string;
  /** The engine's key of the sandbox (Docker's SandboxKey): one sandbox per key. */
  readonly sandboxKey: string;
}
