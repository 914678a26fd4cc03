/**
 * A small network driver for the example plugin: one Linux bridge per
 * network (with the gateway address on it), one veth pair per join whose
 * peer cnm moves into the sandbox. Written against cnm's Driver contract
 * only; the SDK turns it into a Docker plugin.
 */
import type { EndpointOptions, InterfaceInfo, IpamData, JoinInfo, NetworkInfo, NetworkOptions } from "../../src/driverapi/index.js";
import { BaseDriver } from "../../src/drivers/base-driver.js";
import { InvalidParameterError, NotFoundError } from "../../src/errors.js";
import type { NetlinkHandle } from "../../src/linux/index.js";

export class VethDriver extends BaseDriver {
  private readonly networks = new Map<string, { bridge: string; gateway?: string }>();

  constructor(
    private readonly host: NetlinkHandle,
    /** Prefix of every link this plugin makes, so they are easy to find (and to clean). */
    private readonly prefix: string,
  ) {
    super();
  }

  type(): string {
    return "veth-example";
  }

  override isBuiltIn(): boolean {
    return false;
  }

  async createNetwork(nid: string, _options: NetworkOptions, _nInfo: NetworkInfo, v4: readonly IpamData[]): Promise<void> {
    const bridge = `${this.prefix}b${nid.slice(0, 6)}`;
    const gateway = v4[0]?.gateway;
    this.host.linkAdd({ kind: "bridge", name: bridge });
    try {
      if (gateway) this.host.addrAdd(bridge, gateway);
      this.host.linkSetUp(bridge);
    } catch (err) {
      this.host.linkDel(bridge);
      throw err;
    }
    this.networks.set(nid, gateway ? { bridge, gateway } : { bridge });
  }

  async deleteNetwork(nid: string): Promise<void> {
    const net = this.networks.get(nid);
    if (net && this.host.linkFind(net.bridge)) this.host.linkDel(net.bridge);
    this.networks.delete(nid);
  }

  async createEndpoint(nid: string, _eid: string, ifInfo: InterfaceInfo, _options: EndpointOptions): Promise<void> {
    this.network(nid);
    if (!ifInfo.address()) throw new InvalidParameterError("the veth example needs an IPv4 address from IPAM");
  }

  async deleteEndpoint(_nid: string, eid: string): Promise<void> {
    // The sandbox's end went with the sandbox's interface; the host end goes with it, or here.
    const hostEnd = this.hostEnd(eid);
    if (this.host.linkFind(hostEnd)) this.host.linkDel(hostEnd);
  }

  async join(nid: string, eid: string, _sboxKey: string, jinfo: JoinInfo): Promise<void> {
    const net = this.network(nid);
    const hostEnd = this.hostEnd(eid);
    const peer = `${this.prefix}c${eid.slice(0, 6)}`;
    this.host.linkAdd({ kind: "veth", name: hostEnd, peerName: peer, master: net.bridge, up: true });
    jinfo.interfaceName().setNames(peer, "eth");
    if (net.gateway) jinfo.setGateway(net.gateway.split("/")[0]!);
  }

  async leave(_nid: string, _eid: string): Promise<void> {}

  private hostEnd(eid: string): string {
    return `${this.prefix}h${eid.slice(0, 6)}`;
  }

  private network(nid: string) {
    const net = this.networks.get(nid);
    if (!net) throw new NotFoundError(`network ${nid} not found`);
    return net;
  }
}
