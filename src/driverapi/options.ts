/**
 * Typed options the controller passes to drivers. libnetwork passes untyped
 * maps keyed by netlabel constants; here the well-known keys are fields and
 * only driver-specific options (`docker network create -o k=v`) stay a map.
 */

export interface NetworkOptions {
  readonly name: string;
  readonly enableIPv6: boolean;
  /** No traffic in or out of the network beyond its own endpoints. */
  readonly internal: boolean;
  readonly attachable: boolean;
  /** Driver options, e.g. "com.docker.network.bridge.name". */
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

export type Protocol = "tcp" | "udp" | "sctp";

/** A published port: `-p [hostIP:]hostPort:containerPort[/proto]`. hostPort 0 asks for an ephemeral one. */
export interface PortBinding {
  readonly proto: Protocol;
  readonly containerPort: number;
  readonly hostIP?: string;
  readonly hostPort: number;
  /** Last port of a host range (hostPort..hostPortEnd); absent for one port. */
  readonly hostPortEnd?: number;
}

export interface EndpointOptions {
  readonly portBindings: readonly PortBinding[];
  readonly driverOpts: Readonly<Record<string, string>>;
}

export interface JoinOptions {
  readonly driverOpts: Readonly<Record<string, string>>;
  /**
   * The daemon restarted and this join's kernel side (e.g. the veth pair in
   * the sandbox) was made by its earlier run and still exists: rebuild the
   * driver's state, adopt the objects, create nothing that is there. (Where
   * libnetwork's drivers restore from a store of their own, cnm's replay the
   * contract calls from the controller's records.)
   */
  readonly restore?: boolean;
  /**
   * The sandbox belongs to a container engine (dockerd) that moves the
   * interface into its namespace itself, and may not have made that namespace
   * yet: make the container's end in this host's namespace (the engine's),
   * under the name the join answers, and leave it there. It comes back to the
   * host's namespace after leave; deleteEndpoint removes it. With restore, an
   * interface that is gone is not made again (its container is gone): the
   * join fails with NotFoundError.
   */
  readonly engineMovesInterface?: boolean;
}

/** Well-known option keys (Docker's, so the docker CLI's -o flags mean what users expect). */
export const OptionKeys = {
  bridgeName: "com.docker.network.bridge.name",
  bridgeEnableIPMasquerade: "com.docker.network.bridge.enable_ip_masquerade",
  bridgeEnableICC: "com.docker.network.bridge.enable_icc",
  bridgeHostBindingIPv4: "com.docker.network.bridge.host_binding_ipv4",
  bridgeDefaultBridge: "com.docker.network.bridge.default_bridge",
  driverMTU: "com.docker.network.driver.mtu",
  containerIfacePrefix: "com.docker.network.container_iface_prefix",
  macvlanParent: "parent",
  macvlanMode: "macvlan_mode",
} as const;
