import type { DriverCallback, EndpointOptions, InterfaceInfo, JoinInfo, NetworkInfo, NetworkOptions } from "../driverapi/index.js";
import { InvalidParameterError, NotFoundError } from "../errors.js";
import { kernelConfigOption } from "../linux/index.js";
import { BaseDriver } from "./base-driver.js";

/** Why an ipvlan network cannot be made here, as the user is told. */
export function ipvlanRefusal(): string {
  return kernelConfigOption("CONFIG_IPVLAN") === "n"
    ? "the ipvlan driver is not supported on this host: the kernel has no ipvlan support (CONFIG_IPVLAN is not set)"
    : "the ipvlan driver is not supported by cnm";
}

/**
 * "ipvlan" registered under its name so that `network create -d ipvlan`
 * gets the reason (a 400) rather than "driver not found", and so that no
 * remote plugin lookup is attempted for a name that is Docker's built-in.
 * It holds no networks: every network call but creation finds none.
 */
export class IpvlanRefusalDriver extends BaseDriver {
  type(): string {
    return "ipvlan";
  }
  async createNetwork(_nid: string, _options: NetworkOptions, _nInfo: NetworkInfo): Promise<void> {
    throw new InvalidParameterError(ipvlanRefusal());
  }
  async deleteNetwork(): Promise<void> {}
  async createEndpoint(nid: string, _eid: string, _ifInfo: InterfaceInfo, _options: EndpointOptions): Promise<void> {
    throw new NotFoundError(`ipvlan network ${nid} not found`);
  }
  async deleteEndpoint(): Promise<void> {}
  async join(nid: string, _eid: string, _sboxKey: string, _jinfo: JoinInfo): Promise<void> {
    throw new NotFoundError(`ipvlan network ${nid} not found`);
  }
  async leave(): Promise<void> {}
}

export function registerIpvlanRefusal(callback: DriverCallback): void {
  callback.registerDriver("ipvlan", new IpvlanRefusalDriver(), { dataScope: "local", connectivityScope: "global" });
}
