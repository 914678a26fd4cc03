import type {
  Driver,
  DiscoveryEvent,
  EndpointOptions,
  EventType,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  JoinOptions,
  NetworkInfo,
  NetworkOptions,
} from "../driverapi/index.js";
import { NotImplementedError } from "../errors.js";

/**
 * Defaults for the parts of the contract a simple driver has nothing to do
 * for: discovery, allocation, external connectivity, table events.
 */
export abstract class BaseDriver implements Driver {
  abstract type(): string;
  isBuiltIn(): boolean {
    return true;
  }
  async discoverNew(_event: DiscoveryEvent): Promise<void> {}
  async discoverDelete(_event: DiscoveryEvent): Promise<void> {}
  async networkAllocate(
    _nid: string,
    _options: Readonly<Record<string, string>>,
    _v4: readonly IpamData[],
    _v6: readonly IpamData[],
  ): Promise<Record<string, string>> {
    throw new NotImplementedError(`the ${this.type()} driver has local scope: network allocation is not supported`);
  }
  async networkFree(_nid: string): Promise<void> {
    throw new NotImplementedError(`the ${this.type()} driver has local scope: network free is not supported`);
  }
  abstract createNetwork(
    nid: string,
    options: NetworkOptions,
    nInfo: NetworkInfo,
    v4: readonly IpamData[],
    v6: readonly IpamData[],
  ): Promise<void>;
  abstract deleteNetwork(nid: string): Promise<void>;
  abstract createEndpoint(nid: string, eid: string, ifInfo: InterfaceInfo, options: EndpointOptions): Promise<void>;
  abstract deleteEndpoint(nid: string, eid: string): Promise<void>;
  async endpointOperInfo(_nid: string, _eid: string): Promise<Record<string, unknown>> {
    return {};
  }
  abstract join(nid: string, eid: string, sboxKey: string, jinfo: JoinInfo, options: JoinOptions): Promise<void>;
  abstract leave(nid: string, eid: string): Promise<void>;
  async programExternalConnectivity(_nid: string, _eid: string, _options: EndpointOptions): Promise<void> {}
  async revokeExternalConnectivity(_nid: string, _eid: string): Promise<void> {}
  eventNotify(_type: EventType, _nid: string, _table: string, _key: string, _value: Uint8Array): void {}
}
