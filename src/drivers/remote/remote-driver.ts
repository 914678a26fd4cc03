import type {
  Capability,
  DiscoveryEvent,
  Driver,
  EndpointOptions,
  EventType,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  JoinOptions,
  NetworkInfo,
  NetworkOptions,
} from "../../driverapi/index.js";
import { DiscoveryType } from "../../driverapi/index.js";
import { CnmError, InternalError } from "../../errors.js";
import type { PluginClient } from "../../plugins/client.js";
import { PluginCallError } from "../../plugins/errors.js";
import {
  NETWORK_PLUGIN_TYPE,
  createNetworkOptions,
  discoveryJson,
  endpointOptions,
  ipamDataJson,
  parseCapability,
  parseInterface,
  parseJoin,
  type JoinResponseJson,
} from "./api.js";

/**
 * A network driver that is a plugin process: each contract call is a
 * `NetworkDriver.*` call of Docker's remote driver protocol (libnetwork
 * drivers/remote). The plugin keeps its own state; this object keeps none.
 */
export class RemoteDriver implements Driver {
  constructor(
    private readonly name: string,
    private readonly client: PluginClient,
  ) {}

  /** Asks the plugin for its scope, as libnetwork does before registering it. */
  async getCapabilities(): Promise<Capability> {
    return parseCapability(await this.call("GetCapabilities"));
  }

  type(): string {
    return this.name;
  }

  isBuiltIn(): boolean {
    return false;
  }

  // Only node discovery reaches plugins (datastore and keys stay in the daemon); optional for them.
  async discoverNew(event: DiscoveryEvent): Promise<void> {
    if (event.type !== DiscoveryType.NodeDiscovery) return;
    await this.optional("DiscoverNew", discoveryJson(event.type, event.data));
  }

  async discoverDelete(event: DiscoveryEvent): Promise<void> {
    if (event.type !== DiscoveryType.NodeDiscovery) return;
    await this.optional("DiscoverDelete", discoveryJson(event.type, event.data));
  }

  async networkAllocate(
    nid: string,
    options: Readonly<Record<string, string>>,
    ipV4Data: readonly IpamData[],
    ipV6Data: readonly IpamData[],
  ): Promise<Record<string, string>> {
    const answer = await this.call<{ Options?: Record<string, unknown> | null }>("AllocateNetwork", {
      NetworkID: nid,
      Options: { ...options },
      IPv4Data: ipamDataJson(ipV4Data),
      IPv6Data: ipamDataJson(ipV6Data),
    });
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(answer.Options ?? {})) if (typeof v === "string") out[k] = v;
    return out;
  }

  async networkFree(nid: string): Promise<void> {
    await this.call("FreeNetwork", { NetworkID: nid });
  }

  async createNetwork(
    nid: string,
    options: NetworkOptions,
    _nInfo: NetworkInfo,
    ipV4Data: readonly IpamData[],
    ipV6Data: readonly IpamData[],
  ): Promise<void> {
    // Plugins cannot register gossip tables: the protocol has no such call.
    await this.call("CreateNetwork", {
      NetworkID: nid,
      Options: createNetworkOptions(options),
      IPv4Data: ipamDataJson(ipV4Data),
      IPv6Data: ipamDataJson(ipV6Data),
    });
  }

  async deleteNetwork(nid: string): Promise<void> {
    await this.call("DeleteNetwork", { NetworkID: nid });
  }

  async createEndpoint(nid: string, eid: string, ifInfo: InterfaceInfo, options: EndpointOptions): Promise<void> {
    const address = ifInfo.address();
    const answer = await this.call<{ Interface?: unknown }>("CreateEndpoint", {
      NetworkID: nid,
      EndpointID: eid,
      Interface: { Address: address ?? "", AddressIPv6: ifInfo.addressIPv6() ?? "", MacAddress: ifInfo.macAddress() ?? "" },
      Options: endpointOptions(options, address),
    });
    let iface;
    try {
      iface = parseInterface(answer.Interface);
    } catch (err) {
      throw await this.rolledBack(`CreateEndpoint answered with a bad Interface: ${(err as Error).message}`, () => this.deleteEndpoint(nid, eid));
    }
    if (!iface) return;
    // The plugin may choose what the controller left open, never change what it set (libnetwork's rule).
    const steps: [string, string | undefined, (v: string) => void][] = [
      ["MAC address", iface.mac, (v) => ifInfo.setMacAddress(v)],
      ["address", iface.address, (v) => ifInfo.setIPAddress(v)],
      ["address", iface.addressIPv6, (v) => ifInfo.setIPv6Address(v)],
    ];
    for (const [what, value, set] of steps) {
      if (value === undefined) continue;
      try {
        set(value);
      } catch (err) {
        throw await this.rolledBack(`driver modified interface ${what}: ${(err as Error).message}`, () => this.deleteEndpoint(nid, eid));
      }
    }
  }

  async deleteEndpoint(nid: string, eid: string): Promise<void> {
    await this.call("DeleteEndpoint", { NetworkID: nid, EndpointID: eid });
  }

  async endpointOperInfo(nid: string, eid: string): Promise<Record<string, unknown>> {
    const answer = await this.call<{ Value?: unknown }>("EndpointOperInfo", { NetworkID: nid, EndpointID: eid });
    const value = answer.Value;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  }

  /**
   * Join. The protocol has no notion of a restart: on restore the plugin is
   * asked to Join again and answers as it did (the controller keeps the
   * interface that survived and takes only gateways and routes).
   */
  async join(nid: string, eid: string, sboxKey: string, jinfo: JoinInfo, options: JoinOptions): Promise<void> {
    const answer = await this.call<JoinResponseJson>("Join", { NetworkID: nid, EndpointID: eid, SandboxKey: sboxKey, Options: { ...options.driverOpts } });
    try {
      const parsed = parseJoin(answer);
      if (parsed.names) jinfo.interfaceName().setNames(parsed.names.srcName, parsed.names.dstPrefix);
      if (parsed.gateway) jinfo.setGateway(parsed.gateway);
      if (parsed.gatewayIPv6) jinfo.setGatewayIPv6(parsed.gatewayIPv6);
      for (const r of parsed.staticRoutes) jinfo.addStaticRoute(r.destination, r.routeType, r.nextHop);
      if (parsed.disableGatewayService) jinfo.disableGatewayService();
    } catch (err) {
      throw await this.rolledBack(`Join answered with what cnm cannot apply: ${(err as Error).message}`, () => this.leave(nid, eid));
    }
  }

  async leave(nid: string, eid: string): Promise<void> {
    await this.call("Leave", { NetworkID: nid, EndpointID: eid });
  }

  async programExternalConnectivity(nid: string, eid: string, options: EndpointOptions): Promise<void> {
    await this.optional("ProgramExternalConnectivity", { NetworkID: nid, EndpointID: eid, Options: endpointOptions(options) });
  }

  async revokeExternalConnectivity(nid: string, eid: string): Promise<void> {
    await this.optional("RevokeExternalConnectivity", { NetworkID: nid, EndpointID: eid });
  }

  /** Plugins take no part in gossip: nothing to hear. */
  eventNotify(_type: EventType, _nid: string, _table: string, _key: string, _value: Uint8Array): void {}

  private call<T = Record<string, unknown>>(method: string, args?: unknown): Promise<T> {
    return this.client.call<T>(`${NETWORK_PLUGIN_TYPE}.${method}`, args);
  }

  /** A call plugins need not implement: "not implemented" answers count as done, as libnetwork treats them. */
  private async optional(method: string, args: unknown): Promise<void> {
    try {
      await this.call(method, args);
    } catch (err) {
      if (err instanceof PluginCallError && err.isNotImplemented()) return;
      throw err;
    }
  }

  /** libnetwork's errorWithRollback: the error says whether undoing the plugin's half worked. */
  private async rolledBack(message: string, undo: () => Promise<void>): Promise<CnmError> {
    try {
      await undo();
      return new InternalError(`plugin "${this.name}": ${message}; rolled back`);
    } catch (err) {
      return new InternalError(`plugin "${this.name}": ${message}; failed to roll back: ${(err as Error).message}`);
    }
  }
}
