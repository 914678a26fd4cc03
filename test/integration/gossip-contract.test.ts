import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { InProcessCluster, driverapi } from "../../src/index.js";
import { GossipingDriver, nodeController } from "./gossiping-driver.js";
import { decodeServiceRecord, SERVICE_TABLE } from "../../src/controller/dns/service-table.js";
import { Controller } from "../../src/index.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import { LinuxOsl } from "../../src/osl/linux-osl.js";
import { sweep, uniquePrefix } from "./helpers.js";

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
      { type: driverapi.EventType.Create, nid, table: "gossip_test_table", key: ep.endpoint.id, value: `A:${ep.endpoint.id.slice(0, 6)}` },
    ]);
    assert.deepEqual(a.driver.heard, []);
    assert.equal(cluster.table(nid, "gossip_test_table").get(ep.endpoint.id)?.owner, "A");
  });

  it("the entry lives exactly as long as the endpoint: leaving deletes it everywhere", async () => {
    const eid = [...cluster.table(nid, "gossip_test_table").keys()][0]!;
    await a.c.disconnect("g", "sa");
    await settle();
    assert.equal(cluster.table(nid, "gossip_test_table").size, 0);
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
      assert.equal(cluster.table(net.id, "gossip_test_table").size, 0);
      assert.deepEqual(local.driver.heard, []);
    } finally {
      await local.c.destroyAll();
      await local.c.close();
    }
  });

  it("the controller publishes each joined endpoint's name record on endpoint_table, and it leaves with the endpoint", async () => {
    await a.c.createSandbox({ name: "named" });
    const ep = await a.c.connect("g", "named", { aliases: ["db", "primary"] });
    await settle();
    const entry = cluster.table(nid, SERVICE_TABLE).get(ep.endpoint.id);
    assert.equal(entry?.owner, "A");
    assert.deepEqual(decodeServiceRecord(entry!.value), {
      name: "named",
      endpointIp: ep.endpoint.address!.split("/")[0],
      // The endpoint's aliases, then the sandbox's short id (as Docker's containers have it).
      taskAliases: ["db", "primary", a.c.sandbox("named").sandbox.id.slice(0, 12)],
      serviceId: "",
    });
    assert.ok(!b.driver.heard.some((e) => e.table === SERVICE_TABLE), "drivers do not hear the controller's table");
    await a.c.deleteSandbox("named");
    await settle();
    assert.equal(cluster.table(nid, SERVICE_TABLE).has(ep.endpoint.id), false);
  });

  it("a driver that registers endpoint_table is refused: the controller keeps it for name records", async () => {
    class Squatter extends GossipingDriver {
      override async createNetwork(_nid: string, _o: driverapi.NetworkOptions, nInfo: driverapi.NetworkInfo) {
        nInfo.tableEventRegister(SERVICE_TABLE);
      }
    }
    const p = uniquePrefix();
    prefixes.push(p);
    const c = await Controller.create({
      prefix: p,
      runDir: `/run/cnm-test/${p}`,
      osl: new LinuxOsl(),
      agent: cluster.agent("S"),
      drivers: [(cb) => cb.registerDriver("squatter", new Squatter("S"), { dataScope: "global" })],
      ipams: [{ name: "default", ipam: new DefaultIpam(), capability: { requiresMACAddress: false, requiresRequestReplay: true } }],
    });
    try {
      await assert.rejects(c.createNetwork({ name: "sq", driver: "squatter", ipam: { config: [{ subnet: "10.206.2.0/24" }] } }), /registered table "endpoint_table", which the controller keeps for name records/);
      assert.deepEqual(c.networks(), []);
    } finally {
      await c.destroyAll();
      await c.close();
    }
  });
});
