/**
 * The plugin side of Docker's protocol: JSON requests into cnm's driver and
 * IPAM contract arguments, and the contract's results back into JSON. The
 * inverse of src/drivers/remote/api.ts and src/ipam/remote/api.ts.
 */
import type { EndpointOptions, InterfaceInfo, IpamData, JoinInfo, NetworkOptions, PortBinding, Protocol, RouteType } from "../driverapi/index.js";
import { InvalidParameterError } from "../errors.js";

type Json = Record<string, unknown>;

const GENERIC = "com.docker.network.generic";
const ENABLE_IPV6 = "com.docker.network.enable_ipv6";
const INTERNAL = "com.docker.network.internal";
const PORT_MAP = "com.docker.network.portmap";
const EXPOSED = "com.docker.network.endpoint.exposedports";
const PROTOCOLS: Record<number, Protocol> = { 6: "tcp", 17: "udp", 132: "sctp" };

export function str(body: Json, field: string): string {
  const v = body[field];
  if (typeof v !== "string" || v === "") throw new InvalidParameterError(`${field} must be a non-empty string`);
  return v;
}

export function stringsOf(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

export function ipamDataOf(value: unknown): IpamData[] {
  if (!Array.isArray(value)) return [];
  return value.map((d: Json) => ({
    addressSpace: typeof d.AddressSpace === "string" ? d.AddressSpace : "",
    pool: str(d, "Pool"),
    ...(typeof d.Gateway === "string" && d.Gateway !== "" ? { gateway: d.Gateway } : {}),
    auxAddresses: stringsOf(d.AuxAddresses),
  }));
}

/** CreateNetwork's Options: the user's options are under "com.docker.network.generic". */
export function networkOptionsOf(nid: string, options: unknown): NetworkOptions {
  const o = (typeof options === "object" && options !== null ? options : {}) as Json;
  return {
    name: nid,
    enableIPv6: o[ENABLE_IPV6] === true,
    internal: o[INTERNAL] === true,
    attachable: false,
    driverOpts: stringsOf(o[GENERIC]),
    labels: {},
  };
}

/** An endpoint's options: flat string options, and the published ports under the portmap key. */
export function endpointOptionsOf(options: unknown): EndpointOptions {
  const o = (typeof options === "object" && options !== null ? options : {}) as Json;
  const driverOpts = stringsOf(o);
  delete driverOpts[PORT_MAP];
  delete driverOpts[EXPOSED];
  const portBindings: PortBinding[] = [];
  for (const b of Array.isArray(o[PORT_MAP]) ? (o[PORT_MAP] as Json[]) : []) {
    const proto = PROTOCOLS[Number(b.Proto)];
    if (!proto || typeof b.Port !== "number") continue;
    portBindings.push({
      proto,
      containerPort: b.Port,
      hostPort: typeof b.HostPort === "number" ? b.HostPort : 0,
      ...(typeof b.HostIP === "string" && b.HostIP !== "" ? { hostIP: b.HostIP } : {}),
      ...(typeof b.HostPortEnd === "number" && b.HostPortEnd !== b.HostPort ? { hostPortEnd: b.HostPortEnd } : {}),
    });
  }
  return { driverOpts, portBindings };
}

/** InterfaceInfo over CreateEndpoint's Interface; remembers what the driver set, to answer with only that. */
export class RequestInterface implements InterfaceInfo {
  readonly set: { Address?: string; AddressIPv6?: string; MacAddress?: string } = {};
  private readonly given: { address?: string; addressIPv6?: string; mac?: string } = {};

  constructor(iface: unknown) {
    const i = (typeof iface === "object" && iface !== null ? iface : {}) as Json;
    if (typeof i.Address === "string" && i.Address !== "") this.given.address = i.Address;
    if (typeof i.AddressIPv6 === "string" && i.AddressIPv6 !== "") this.given.addressIPv6 = i.AddressIPv6;
    if (typeof i.MacAddress === "string" && i.MacAddress !== "") this.given.mac = i.MacAddress;
  }

  setMacAddress(mac: string): void {
    if (this.macAddress()) throw new InvalidParameterError(`MAC address is already set to ${this.macAddress()}`);
    this.set.MacAddress = mac;
  }
  setIPAddress(cidr: string): void {
    if (this.address()) throw new InvalidParameterError(`IPv4 address is already set to ${this.address()}`);
    this.set.Address = cidr;
  }
  setIPv6Address(cidr: string): void {
    if (this.addressIPv6()) throw new InvalidParameterError(`IPv6 address is already set to ${this.addressIPv6()}`);
    this.set.AddressIPv6 = cidr;
  }
  macAddress(): string | undefined {
    return this.given.mac ?? this.set.MacAddress;
  }
  address(): string | undefined {
    return this.given.address ?? this.set.Address;
  }
  addressIPv6(): string | undefined {
    return this.given.addressIPv6 ?? this.set.AddressIPv6;
  }
}

/** JoinInfo that builds Join's answer. Gossip entries have no place in the protocol and are dropped. */
export class JoinAnswer implements JoinInfo {
  readonly answer: {
    InterfaceName?: { SrcName: string; DstPrefix: string };
    Gateway?: string;
    GatewayIPv6?: string;
    StaticRoutes: { Destination: string; RouteType: number; NextHop?: string }[];
    DisableGatewayService: boolean;
  } = { StaticRoutes: [], DisableGatewayService: false };

  interfaceName() {
    return {
      setNames: (srcName: string, dstPrefix: string) => {
        this.answer.InterfaceName = { SrcName: srcName, DstPrefix: dstPrefix };
      },
    };
  }
  setGateway(ip: string): void {
    this.answer.Gateway = ip;
  }
  setGatewayIPv6(ip: string): void {
    this.answer.GatewayIPv6 = ip;
  }
  addStaticRoute(destination: string, routeType: RouteType, nextHop?: string): void {
    this.answer.StaticRoutes.push({ Destination: destination, RouteType: routeType, ...(nextHop ? { NextHop: nextHop } : {}) });
  }
  disableGatewayService(): void {
    this.answer.DisableGatewayService = true;
  }
  addTableEntry(): void {}
}
