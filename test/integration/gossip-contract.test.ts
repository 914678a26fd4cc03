import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Controller, InProcessCluster, driverapi, type ClusterAgent } from "../../src/index.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import { LinuxOsl } from "../../src/osl/linux-osl.js";
import { BaseDriver } from "../../src/drivers/base-driver.js";
import { sweep, uniquePrefix } from "./helpers.js";

type Event = { type: driverapi.EventType; nid: string; table: string; key: string; value: string };

/**
 * A driver that uses nothing but the gossip half of the contract: it registers
 * a table at network creation, publishes one entry per endpoint at join, and
 * records what it hears. No kernel objects, so the test isolates the contract.
 */
class GossipingDriver extends BaseDriver {
  readonly heard: Event[] = [];
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
    nInfo.tableEventRegister("endpoint_table");
  }
  async deleteNetwork() {}
  async createEndpoint() {}
  async deleteEndpoint() {}
  async join(_nid: string, eid: string, _key: string, jinfo: driverapi.JoinInfo) {
    jinfo.addTableEntry("endpoint_table", eid, new TextEncoder().encode(`${this.node}:${eid.slice(0, 6)}`));
  }
  async leave() {}
  override eventNotify(type: driverapi.EventType, nid: string, table: string, key: string, value: Uint8Array) {
    this.heard.push({ type, nid, table, key, value: new TextDecoder().decode(value) });
  }
}

async function nodeController(prefix: string, node: string, agent: ClusterAgent, scope: "global" | "local") {
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

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("driver-generic gossip through the controller", () => {
  const prefixes = [uniquePrefix(), uniquePrefix(), uniquePrefix()];
  const cluster = new InProcessCluster();
  let a: Awaited<ReturnType<typeof nodeController>>;
  let b: Awaited<ReturnType<typeof nodeController>>;
  let nid: string;

  before(async () => {
    a = await nodeController(prefixes[0]!, "A", cluster.agent("A"), "global");
    b = await nodeController(prefixes[1]!, "B", cluster.agent("B"), "global");
    nid = (await a.c.createNetwork({ name: "g", driver: "gossiping", ipam: { config: [{ subnet: "10.206.0.0/24" }] } })).id;
    await b.c.createNetwork({ id: nid, name: "g", driver: "gossiping", ipam: { config: [{ subnet: "10.206.0.0/24" }] } });
  });
  after(async () => {
    try {
      for (const n of [a, b]) {
        await n?.c.destroyAll();
        await n?.c.close();
      }
    } finally {
      for (const p of prefixes) sweep(p);
    }
  });

  it("an entry added at join reaches the other node's driver, and not the writer's", async () => {
    await a.c.createSandbox({ name: "sa" });
    const ep = await a.c.connect("g", "sa");
    await settle();
    assert.deepEqual(b.driver.heard, [
      { type: driverapi.EventType.Create, nid, table: "endpoint_table", key: ep.endpoint.id, value: `A:${ep.endpoint.id.slice(0, 6)}` },
    ]);
    assert.deepEqual(a.driver.heard, []);
    assert.equal(cluster.table(nid, "endpoint_table").get(ep.endpoint.id)?.owner, "A");
  });

  it("the entry lives exactly as long as the endpoint: leaving deletes it everywhere", async () => {
    const eid = [...cluster.table(nid, "endpoint_table").keys()][0]!;
    await a.c.disconnect("g", "sa");
    await settle();
    assert.equal(cluster.table(nid, "endpoint_table").size, 0);
    const last = b.driver.heard.at(-1)!;
    assert.equal(last.type, driverapi.EventType.Delete);
    assert.equal(last.key, eid);
  });

  it("a node that joins the network later hears the entries that exist", async () => {
    await b.c.createSandbox({ name: "sb" });
    const epB = await b.c.connect("g", "sb");
    const c = await nodeController(prefixes[2]!, "C", cluster.agent("C"), "global");
    try {
      await c.c.createNetwork({ id: nid, name: "g", driver: "gossiping", ipam: { config: [{ subnet: "10.206.0.0/24" }] } });
      await settle();
      assert.deepEqual(
        c.driver.heard.map((e) => [e.type, e.key]),
        [[driverapi.EventType.Create, epB.endpoint.id]],
      );
      // Deleting the sandbox on B removes B's entry on C too.
      await b.c.deleteSandbox("sb");
      await settle();
      assert.deepEqual(c.driver.heard.at(-1)?.type, driverapi.EventType.Delete);
    } finally {
      await c.c.destroyAll();
      await c.c.close();
    }
  });

  it("a local-scope driver may register tables but hears nothing and publishes nothing", async () => {
    const p = uniquePrefix();
    prefixes.push(p);
    const local = await nodeController(p, "L", cluster.agent("L"), "local");
    try {
      const net = await local.c.createNetwork({ name: "l", driver: "gossiping", ipam: { config: [{ subnet: "10.206.1.0/24" }] } });
      await local.c.createSandbox({ name: "sl" });
      await local.c.connect("l", "sl");
      await settle();
      assert.equal(cluster.table(net.id, "endpoint_table").size, 0);
      assert.deepEqual(local.driver.heard, []);
    } finally {
      await local.c.destroyAll();
      await local.c.close();
    }
  });
});
