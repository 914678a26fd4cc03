/**
 * Node discovery for drivers over real NetworkDB nodes on loopback: the
 * controller's drivers hear discoverNew for every host that joins the
 * cluster and discoverDelete for every host that leaves or fails, as
 * libnetwork's drivers hear memberlist's membership.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { followNodeDiscovery } from "../../src/cluster/node-discovery.js";
import { NetworkDB, NetworkDBAgent } from "../../src/index.js";
import { waitUntil } from "../../src/networkdb-node/launcher.js";
import { nodeController } from "./gossiping-driver.js";
import { sweep, uniquePrefix } from "./helpers.js";

// Each node on its own loopback address: discovery names nodes by address.
const FAST = { probeInterval: 200, probeTimeout: 100, suspicionMult: 2 };
const node = (addr: string) => NetworkDB.create({ bindAddr: addr, bindPort: 0, rejoinInterval: 0, memberlist: FAST });

describe("node discovery reaches every driver", () => {
  const prefix = uniquePrefix();
  let a: NetworkDB;
  let b: NetworkDB;
  let c: NetworkDB;
  let host: Awaited<ReturnType<typeof nodeController>>;
  let stop: (() => void) | undefined;
  const errors: unknown[] = [];

  before(async () => {
    a = await node("127.0.0.2");
    b = await node("127.0.0.3");
    c = await node("127.0.0.4");
    host = await nodeController(prefix, "A", new NetworkDBAgent(a), "global");
    await host.c.discoverNode("new", { address: "127.0.0.2", bindAddress: "127.0.0.2", self: true });
    stop = await followNodeDiscovery(a, host.c, { address: "127.0.0.2", bindAddress: "127.0.0.2" }, (e) => errors.push(e));
  });
  after(async () => {
    try {
      stop?.();
      await host?.c.close();
      await Promise.all([a, b, c].map((db) => db?.shutdown()));
    } finally {
      sweep(prefix);
    }
  });

  it("hears itself first, then each node that joins, once", async () => {
    await b.join([`127.0.0.2:${a.port}`]);
    await c.join([`127.0.0.2:${a.port}`]);
    await waitUntil("B and C discovered", () => host.driver.discovered.filter((d) => d.change === "new").length === 3, 5000, 20);
    assert.deepEqual(host.driver.discovered, [
      { change: "new", address: "127.0.0.2", self: true },
      { change: "new", address: "127.0.0.3", self: false },
      { change: "new", address: "127.0.0.4", self: false },
    ]);
  });

  it("hears a node that leaves, and one that fails, go", async () => {
    await b.close(); // a graceful leave
    await waitUntil("B's departure", () => host.driver.discovered.some((d) => d.change === "delete" && d.address === "127.0.0.3"), 5000, 20);
    await c.shutdown(); // gone without a word: failure detection
    await waitUntil("C's failure", () => host.driver.discovered.some((d) => d.change === "delete" && d.address === "127.0.0.4"), 10_000, 20);
    assert.deepEqual(
      host.driver.discovered.filter((d) => d.change === "delete").map((d) => d.address),
      ["127.0.0.3", "127.0.0.4"],
    );
    assert.deepEqual(errors, []);
  });
});
