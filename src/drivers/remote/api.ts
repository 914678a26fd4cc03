/**
 * The JSON of Docker's remote network driver protocol (libnetwork
 * drivers/remote/api) and its translation to and from cnm's driver contract.
 * Pure functions, so the shapes are tested without a plugin.
 */
import type { Capability, DataScope, EndpointOptions, IpamData, NetworkOptions, NodeDiscoveryData, PortBinding } from "../../driverapi/index.js";
import { RouteType } from "../../driverapi/index.js";
import { InvalidParameterError } from "../../errors.js";
import { cidrAddress, formatIpValue, formatMac, parseIpValue, readCidr, tryParseMac } from "../../inet/index.js";

/** The plugin endpoint type of network drivers (driverapi.NetworkPluginEndpointType). */
export const NETWORK_PLUGIN_TYPE = "NetworkDriver";

/** libnetwork's netlabel keys that reach a remote driver. */
export const NetLabel = {
  generic: "com.docker.network.generic",
  enableIPv6: "com.docker.network.enable_ipv6",
  internal: "com.docker.network.internal",
  portMap: "com.docker.network.portmap",
  exposedPorts: "com.docker.network.endpoint.exposedports",
} as const;

/** driverapi.IPAMData as it marshals: only the fields that are set. */
export interface IpamDataJson {
  AddressSpace: string;
  Pool?: string;
  Gateway?: string;
  AuxAddresses?: Record<string, string>;
}

export interface EndpointInterfaceJson {
  Address: string;
  AddressIPv6: string;
  MacAddress: string;
}

export interface StaticRouteJson {
  Destination: string;
  RouteType: number;
  NextHop?: string;
}

export interface JoinResponseJson {
  InterfaceName?: { SrcName?: string; DstPrefix?: string; DstName?: string } | null;
  Gateway?: string;
  GatewayIPv6?: string;
  StaticRoutes?: StaticRouteJson[] | null;
  DisableGatewayService?: boolean;
}

export function ipamDataJson(data: readonly IpamData[]): IpamDataJson[] {
  return data.map((d) => ({
    AddressSpace: d.addressSpace,
    Pool: d.pool,
    ...(d.gateway ? { Gateway: d.gateway } : {}),
    ...(Object.keys(d.auxAddresses).length > 0 ? { AuxAddresses: { ...d.auxAddresses } } : {}),
  }));
}

/**
 * CreateNetwork's Options as libnetwork's network.generic holds them: the
 * user's -o options under "com.docker.network.generic", IPv6 as a bool, and
 * "com.docker.network.internal" only when the network is internal.
 */
export function createNetworkOptions(options: NetworkOptions): Record<string, unknown> {
  return {
    [NetLabel.generic]: { ...options.driverOpts },
    [NetLabel.enableIPv6]: options.enableIPv6,
    ...(options.internal ? { [NetLabel.internal]: true } : {}),
  };
}

/** IANA protocol numbers, as libnetwork's types.Protocol marshals. */
const PROTOCOL_NUMBERS = { tcp: 6, udp: 17, sctp: 132 } as const;

/** An endpoint's options: its driver options flat, published and exposed ports under netlabel keys. */
export function endpointOptions(options: EndpointOptions, containerIp?: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...options.driverOpts };
  if (options.portBindings.length > 0) {
    out[NetLabel.portMap] = options.portBindings.map((b) => portBindingJson(b, containerIp));
    out[NetLabel.exposedPorts] = options.portBindings.map((b) => ({ Proto: PROTOCOL_NUMBERS[b.proto], Port: b.containerPort }));
  }
  return out;
}

function portBindingJson(b: PortBinding, containerIp: string | undefined) {
  return {
    Proto: PROTOCOL_NUMBERS[b.proto],
    IP: containerIp ? cidrAddress(containerIp) : "",
    Port: b.containerPort,
    HostIP: b.hostIP ?? "",
    HostPort: b.hostPort,
    HostPortEnd: b.hostPortEnd ?? b.hostPort,
  };
}

export function discoveryJson(type: number, data: NodeDiscoveryData) {
  return { DiscoveryType: type, DiscoveryData: { Address: data.address, BindAddress: data.bindAddress, Self: data.self } };
}

const SCOPES: readonly DataScope[] = ["local", "global"];

/** GetCapabilities' answer: Scope must be "local" or "global"; ConnectivityScope may be empty. */
export function parseCapability(answer: { Scope?: unknown; ConnectivityScope?: unknown }): Capability {
  const scope = answer.Scope;
  if (typeof scope !== "string" || !SCOPES.includes(scope as DataScope)) {
    throw new InvalidParameterError(`invalid capability: expecting 'local' or 'global', got ${JSON.stringify(scope ?? "")}`);
  }
  const conn = answer.ConnectivityScope;
  if (conn === undefined || conn === null || conn === "") return { dataScope: scope as DataScope };
  if (typeof conn !== "string" || !SCOPES.includes(conn as DataScope)) {
    throw new InvalidParameterError(`invalid capability: expecting 'local' or 'global' connectivity scope, got ${JSON.stringify(conn)}`);
  }
  return { dataScope: scope as DataScope, connectivityScope: conn as DataScope };
}

/** What CreateEndpoint's Interface asks to set; undefined fields were not set by the plugin. */
export interface ParsedInterface {
  readonly address?: string;
  readonly addressIPv6?: string;
  readonly mac?: string;
}

export function parseInterface(iface: unknown): ParsedInterface | undefined {
  if (iface === undefined || iface === null) return undefined;
  if (typeof iface !== "object") throw new InvalidParameterError(`Interface in CreateEndpoint's answer is not an object`);
  const { Address, AddressIPv6, MacAddress } = iface as Record<string, unknown>;
  const out: { address?: string; addressIPv6?: string; mac?: string } = {};
  if (Address) out.address = cidrOf(Address, "Address", 4);
  if (AddressIPv6) out.addressIPv6 = cidrOf(AddressIPv6, "AddressIPv6", 6);
  if (MacAddress) {
    const mac = typeof MacAddress === "string" ? tryParseMac(MacAddress) : undefined;
    if (!mac) throw new InvalidParameterError(`invalid MacAddress ${JSON.stringify(MacAddress)} in CreateEndpoint's answer`);
    out.mac = formatMac(mac);
  }
  return out;
}

/** What Join's answer asks for, validated. */
export interface ParsedJoin {
  readonly names?: { readonly srcName: string; readonly dstPrefix: string };
  readonly gateway?: string;
  readonly gatewayIPv6?: string;
  readonly staticRoutes: readonly { destination: string; routeType: RouteType; nextHop?: string }[];
  readonly disableGatewayService: boolean;
}

export function parseJoin(answer: JoinResponseJson): ParsedJoin {
  const out: {
    names?: { srcName: string; dstPrefix: string };
    gateway?: string;
    gatewayIPv6?: string;
    staticRoutes: { destination: string; routeType: RouteType; nextHop?: string }[];
    disableGatewayService: boolean;
  } = { staticRoutes: [], disableGatewayService: answer.DisableGatewayService === true };
  const names = answer.InterfaceName;
  if (names) {
    // DstName is not used by libnetwork's remote driver: the sandbox numbers interfaces from DstPrefix.
    if (typeof names.SrcName !== "string" || typeof names.DstPrefix !== "string") {
      throw new InvalidParameterError(`InterfaceName in Join's answer needs SrcName and DstPrefix strings`);
    }
    out.names = { srcName: names.SrcName, dstPrefix: names.DstPrefix };
  }
  if (answer.Gateway) out.gateway = ipOf(answer.Gateway, "Gateway", 4);
  if (answer.GatewayIPv6) out.gatewayIPv6 = ipOf(answer.GatewayIPv6, "GatewayIPv6", 6);
  for (const r of answer.StaticRoutes ?? []) {
    const routeType = r.RouteType === RouteType.Connected ? RouteType.Connected : r.RouteType === RouteType.NextHop ? RouteType.NextHop : undefined;
    if (routeType === undefined) throw new InvalidParameterError(`static route to ${r.Destination}: unknown RouteType ${JSON.stringify(r.RouteType)}`);
    const destination = cidrOf(r.Destination, "static route Destination");
    const route: { destination: string; routeType: RouteType; nextHop?: string } = { destination, routeType };
    if (r.NextHop) route.nextHop = ipOf(r.NextHop, "static route NextHop");
    out.staticRoutes.push(route);
  }
  return out;
}

function cidrOf(value: unknown, field: string, family?: 4 | 6): string {
  const parsed = typeof value === "string" ? readCidr(value) : { error: "not a string" };
  if ("error" in parsed) throw new InvalidParameterError(`invalid ${field} ${JSON.stringify(value)} in the plugin's answer: ${parsed.error}`);
  if (family && parsed.ip.family !== family) throw new InvalidParameterError(`${field} ${String(value)} in the plugin's answer is not IPv${family}`);
  return `${formatIpValue(parsed.ip)}/${parsed.bits}`;
}

function ipOf(value: unknown, field: string, family?: 4 | 6): string {
  const ip = typeof value === "string" ? parseIpValue(value) : undefined;
  if (!ip) throw new InvalidParameterError(`unable to parse ${field} ${JSON.stringify(value)} in the plugin's answer`);
  if (family && ip.family !== family) throw new InvalidParameterError(`${field} ${String(value)} in the plugin's answer is not IPv${family}`);
  return formatIpValue(ip);
}
