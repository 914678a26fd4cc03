import {
  RouteType,
  type InterfaceInfo,
  type InterfaceNameInfo,
  type JoinInfo,
  type StaticRoute,
} from "../driverapi/index.js";
import { ConflictError, InvalidParameterError } from "../errors.js";

/** The endpoint's interface as IPAM and the driver decided it; kept with the endpoint. */
export interface InterfaceState {
  mac?: string;
  address?: string;
  addressIPv6?: string;
}

export class EndpointInterfaceInfo implements InterfaceInfo {
  constructor(private readonly state: InterfaceState) {}

  setMacAddress(mac: string): void {
    if (this.state.mac) throw new ConflictError(`endpoint MAC address is already set to ${this.state.mac}`);
    this.state.mac = mac;
  }
  setIPAddress(cidr: string): void {
    if (this.state.address) throw new ConflictError(`endpoint IPv4 address is already set to ${this.state.address}`);
    this.state.address = cidr;
  }
  setIPv6Address(cidr: string): void {
    if (this.state.addressIPv6) throw new ConflictError(`endpoint IPv6 address is already set to ${this.state.addressIPv6}`);
    this.state.addressIPv6 = cidr;
  }
  macAddress(): string | undefined {
    return this.state.mac;
  }
  address(): string | undefined {
    return this.state.address;
  }
  addressIPv6(): string | undefined {
    return this.state.addressIPv6;
  }
}

/** What a driver decided during join: collected, then applied to the sandbox by the controller. */
export interface JoinResult {
  srcName?: string;
  dstPrefix?: string;
  gateway?: string;
  gatewayIPv6?: string;
  staticRoutes: StaticRoute[];
  disableGatewayService: boolean;
  tableEntries: { table: string; key: string; value: Uint8Array }[];
}

export function emptyJoinResult(): JoinResult {
  return { staticRoutes: [], disableGatewayService: false, tableEntries: [] };
}

export class EndpointJoinInfo implements JoinInfo, InterfaceNameInfo {
  constructor(readonly result: JoinResult) {}

  interfaceName(): InterfaceNameInfo {
    return this;
  }
  setNames(srcName: string, dstPrefix: string): void {
    if (!srcName || !dstPrefix) throw new InvalidParameterError("interface names must not be empty");
    this.result.srcName = srcName;
    this.result.dstPrefix = dstPrefix;
  }
  setGateway(ip: string): void {
    this.result.gateway = ip;
  }
  setGatewayIPv6(ip: string): void {
    this.result.gatewayIPv6 = ip;
  }
  addStaticRoute(destination: string, routeType: RouteType, nextHop?: string): void {
    if (routeType === RouteType.NextHop && !nextHop) {
      throw new InvalidParameterError(`static route to ${destination} of type next-hop needs a next hop`);
    }
    this.result.staticRoutes.push(nextHop ? { destination, routeType, nextHop } : { destination, routeType });
  }
  disableGatewayService(): void {
    this.result.disableGatewayService = true;
  }
  addTableEntry(tableName: string, key: string, value: Uint8Array): void {
    this.result.tableEntries.push({ table: tableName, key, value });
  }
}
