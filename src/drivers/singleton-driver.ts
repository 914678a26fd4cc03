import type { DriverCallback, EndpointOptions, InterfaceInfo, JoinInfo, NetworkInfo, NetworkOptions } from "../driverapi/index.js";
import { ForbiddenError } from "../errors.js";
import { BaseDriver } from "./base-driver.js";

/**
 * A driver that allows exactly one network and gives endpoints nothing: the
 * shape of both "null" (no networking at all) and "host" (the host's own
 * stack). As in Docker, a second network of either kind is refused.
 */
export class SingletonDriver extends BaseDriver {
  private networkId: string | undefined;

  constructor(private readonly name: string) {
    super();
  }

  type(): string {
    return this.name;
  }

  async createNetwork(nid: string, _options: NetworkOptions, _nInfo: NetworkInfo): Promise<void> {
    if (this.networkId && this.networkId !== nid) {
      throw new ForbiddenError(`only one instance of "${this.name}" network is allowed`);
    }
    this.networkId = nid;
  }
  async deleteNetwork(nid: string): Promise<void> {
    if (this.networkId === nid) this.networkId = undefined;
  }
  async createEndpoint(_nid: string, _eid: string, _ifInfo: InterfaceInfo, _options: EndpointOptions): Promise<void> {}
  async deleteEndpoint(): Promise<void> {}
  async join(_nid: string, _eid: string, _sboxKey: string, _jinfo: JoinInfo): Promise<void> {}
  async leave(): Promise<void> {}
}

export function registerNullDriver(callback: DriverCallback): void {
  callback.registerDriver("null", new SingletonDriver("null"), { dataScope: "local" });
}

export function registerHostDriver(callback: DriverCallback): void {
  callback.registerDriver("host", new SingletonDriver("host"), { dataScope: "local" });
}
