import { cidrAddress } from "../../inet/index.js";
import type { AddressSpaceNames, AllocatedAddress, AllocatedPool, Capability, Ipam, PoolRequest } from "../../ipamapi/index.js";
import { PluginEndpointType } from "../../ipamapi/index.js";
import type { PluginClient } from "../../plugins/client.js";
import { PluginCallError } from "../../plugins/errors.js";
import { parseAddress, parseAddressSpaces, parseCapability, parsePool, requestAddressJson, requestPoolJson } from "./api.js";

/**
 * An IPAM driver that is a plugin process: each contract call is an
 * `IpamDriver.*` call of Docker's remote IPAM protocol (libnetwork
 * ipams/remote). Every answer is a promise (see MaybePromise).
 */
export class RemoteIpam implements Ipam {
  constructor(
    private readonly name: string,
    private readonly client: PluginClient,
  ) {}

  /**
   * GetCapabilities is optional for IPAM plugins: one that does not
   * implement it needs nothing (libnetwork registers it with a zero Capability).
   */
  async getCapabilities(): Promise<Capability> {
    try {
      return parseCapability(await this.call("GetCapabilities"));
    } catch (err) {
      if (err instanceof PluginCallError && err.isNotImplemented()) return { requiresMACAddress: false, requiresRequestReplay: false };
      throw err;
    }
  }

  async getDefaultAddressSpaces(): Promise<AddressSpaceNames> {
    return parseAddressSpaces(await this.call("GetDefaultAddressSpaces"));
  }

  async requestPool(req: PoolRequest): Promise<AllocatedPool> {
    return parsePool(await this.call("RequestPool", requestPoolJson(req)));
  }

  async releasePool(poolId: string): Promise<void> {
    await this.call("ReleasePool", { PoolID: poolId });
  }

  async requestAddress(poolId: string, preferred?: string, options?: Readonly<Record<string, string>>): Promise<AllocatedAddress> {
    return parseAddress(await this.call("RequestAddress", requestAddressJson(poolId, preferred, options)));
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    await this.call("ReleaseAddress", { PoolID: poolId, Address: cidrAddress(address) });
  }

  isBuiltIn(): boolean {
    return false;
  }

  toString(): string {
    return `remote IPAM ${this.name}`;
  }

  private call<T = Record<string, unknown>>(method: string, args?: unknown): Promise<T> {
    return this.client.call<T>(`${PluginEndpointType}.${method}`, args);
  }
}
