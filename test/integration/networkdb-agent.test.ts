/**
 * Driver-generic gossip across real NetworkDB nodes: two (then three)
 * controllers, each with its own NetworkDB on loopback behind a
 * NetworkDBAgent, a global-scope driver on each. What InProcessCluster
 * promises in one process must hold over the wire.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { NetworkDB, NetworkDBAgent, driverapi } from "../../src/index.js";
import { waitUntil } from "../../src/networkdb-node/launcher.js";
import { nodeController, type Event } from "./gossiping-driver.js";
import { sweep, uniquePrefix } from "./helpers.js";

/** Poll until `check` holds (launcher's waitUntil, every 20 ms). */
const until = (what: string, check: () => boolean, timeoutMs = 10_000) => waitUntil(what, check, timeoutMs, 20);

const kinds = (heard: Event[]) => heard.map((e) => [e.type, e.key] as const);

describe("driver-generic gossip over NetworkDB on loopback", () => {
  const prefixes = [uniquePrefix(), uniquePrefix(), uniquePrefix()];
  const dbs: NetworkDB[] = [];
  const agents: NetworkDBAgent[] = [];
  const node = async (name: string, prefix: string) => {
    const db = await NetworkDB.create({ nodeId: `${prefix}-${name}`, bindAddr: "127.0.0.1", bindPort: 0, rejoinInterval: 0 });
    dbs.push(db);
    const agent = new NetworkDBAgent(db);
    agents.push(agent);
    return { db, agent, ...(await nodeController(prefix, name, agent, "global")) };
  };
  let a: Awaited<ReturnType<typeof node>>;
  let b: Awaited<ReturnType<typeof node>>;
  let nid: string;

  before(async () => {
    a = await node("A", prefixes[0]!);
    b = await node("B", prefixes[1]!);
    await b.db.join([`127.0.0.1:${a.db.port}`]);
    await until("a two-node cluster", () => a.db.clusterSize() === 2 && b.db.clusterSize() === 2);
    nid = (await a.c.createNetwork({ name: "g", driver: "gossiping", ipam: { config: [{ subnet: "10.207.0.0/24" }] } })).id;
    await b.c.createNetwork({ id: nid, name: "g", driver: "gossiping", ipam: { config: [{ subnet: "10.207.0.0/24" }] } });
    await until("both in the network", () => a.db.networkSize(nid) === 2 && b.db.networkSize(nid) === 2);
  });
  after(async () => {
    try {
      for (const n of [a, b]) {
        await n?.c.destroyAll();
        await n?.c.close();
      }
      for (const ag of agents) ag.close();
      await Promise.all(dbs.map((db) => db.shutdown()));
    } finally {
      for (const p of prefixes) sweep(p);
    }
  });

  it("an entry added at join reaches the other node's driver over the wire, and not the writer's", async () => {
    await a.c.createSandbox({ name: "sa" });
    const ep = await a.c.connect("g", "sa");
    await until("B to hear A's entry", () => b.driver.heard.length >= 1);
    assert.deepEqual(b.driver.heard, [
      { type: driverapi.EventType.Create, nid, table: "gossip_test_table", key: ep.endpoint.id, value: `A:${ep.endpoint.id.slice(0, 6)}` },
    ]);
    assert.deepEqual(a.driver.heard, []);
    assert.equal(b.db.getTableByNetwork("gossip_test_table", nid).get(ep.endpoint.id)?.owner, a.db.nodeId);
  });

  it("the entry lives exactly as long as the endpoint: leaving deletes it on the other node", async () => {
    const eid = [...a.db.getTableByNetwork("gossip_test_table", nid).keys()][0]!;
    await a.c.disconnect("g", "sa");
    await until("B to hear the delete", () => b.driver.heard.at(-1)?.type === driverapi.EventType.Delete);
    assert.equal(b.driver.heard.at(-1)?.key, eid);
    assert.equal(b.db.getTableByNetwork("gossip_test_table", nid).size, 0);
  });

  it("a node that joins later hears the existing entries; they go when their node fails", async () => {
    await b.c.createSandbox({ name: "sb" });
    const epB = await b.c.connect("g", "sb");
    await until("A to hear B's entry", () => a.driver.heard.some((e) => e.key === epB.endpoint.id));
    const c = await node("C", prefixes[2]!);
    try {
      await c.db.join([`127.0.0.1:${a.db.port}`]);
      await until("a three-node cluster", () => c.db.clusterSize() === 3);
      await c.c.createNetwork({ id: nid, name: "g", driver: "gossiping", ipam: { config: [{ subnet: "10.207.0.0/24" }] } });
      await until("C to hear B's entry", () => c.driver.heard.length >= 1);
      assert.deepEqual(kinds(c.driver.heard), [[driverapi.EventType.Create, epB.endpoint.id]]);

      // B's host dies without a word: its NetworkDB stops answering. Every
      // other node drops B's entries, and their drivers hear a delete.
      await b.db.shutdown();
      await until("C to hear B's entry deleted", () => c.driver.heard.at(-1)?.type === driverapi.EventType.Delete, 20_000);
      await until("A to hear B's entry deleted", () => a.driver.heard.at(-1)?.type === driverapi.EventType.Delete, 20_000);
      assert.equal(c.driver.heard.at(-1)?.key, epB.endpoint.id);
    } finally {
      await c.c.destroyAll();
      await c.c.close();
    }
  });
});
