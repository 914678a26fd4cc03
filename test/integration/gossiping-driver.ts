/**
 * Test helper: a driver that uses nothing but the gossip half of the
 * contract, and a controller around it for one "node" of a cluster.
 */
import { Controller, driverapi, type ClusterAgent } from "../../src/index.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import { LinuxOsl } from "../../src/osl/linux-osl.js";
import { BaseDriver } from "../../src/drivers/base-driver.js";

export type Event = { type: driverapi.EventType; nid: string; table: string; key: string; value: string };

/**
 * A driver that uses nothing but the gossip half of the contract: it registers
 * a table at network creation, publishes one entry per endpoint at join, and
 * records what it hears. No kernel objects, so the test isolates the contract.
 */
export class GossipingDriver extends BaseDriver {
  readonly heard: Event[] = [];
  /** Node discovery as the driver heard it: "new"/"delete" with the node's address. */
  readonly discovered: { change: "new" | "delete"; address: string; self: boolean }[] = [];
  constructor(private readonly node: string) {
    super();
  }
  type() {
    return "gossiping";
  }
  override async networkAllocate(): Promise<Record<string, string>> {
    return {};
  }
  override async networkFree(): Promise<void> {}
  async createNetwork(_nid: string, _o: driverapi.NetworkOptions, nInfo: driverapi.NetworkInfo) {
    nInfo.tableEventRegister("gossip_test_table");
  }
  async deleteNetwork() {}
  async createEndpoint() {}
  async deleteEndpoint() {}
  async join(_nid: string, eid: string, _key: string, jinfo: driverapi.JoinInfo) {
    jinfo.addTableEntry("gossip_test_table", eid, new TextEncoder().encode(`${this.node}:${eid.slice(0, 6)}`));
  }
  async leave() {}
  override async discoverNew(event: driverapi.DiscoveryEvent) {
    if (event.type === driverapi.DiscoveryType.NodeDiscovery) this.discovered.push({ change: "new", address: event.data.address, self: event.data.self });
  }
  override async discoverDelete(event: driverapi.DiscoveryEvent) {
    if (event.type === driverapi.DiscoveryType.NodeDiscovery) this.discovered.push({ change: "delete", address: event.data.address, self: event.data.self });
  }
  override eventNotify(type: driverapi.EventType, nid: string, table: string, key: string, value: Uint8Array) {
    this.heard.push({ type, nid, table, key, value: new TextDecoder().decode(value) });
  }
}

export async function nodeController(prefix: string, node: string, agent: ClusterAgent, scope: "global" | "local") {
  const driver = new GossipingDriver(node);
  const osl = new LinuxOsl();
  const c = await Controller.create({
    prefix,
    runDir: `/run/cnm-test/${prefix}`,
    osl,
    agent,
    drivers: [(cb) => cb.registerDriver("gossiping", driver, { dataScope: scope })],
    ipams: [{ name: "default", ipam: new DefaultIpam(), capability: { requiresMACAddress: false, requiresRequestReplay: false } }],
    resources: [osl],
  });
  return { c, driver };
}

