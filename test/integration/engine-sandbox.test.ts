import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { createLinuxController, SqliteStateStore, type Controller } from "../../src/index.js";
import { canPing, leftoverLinks, plain, sweep, uniquePrefix } from "./helpers.js";

/**
 * The controller's door for a container engine that owns its sandboxes, with
 * this test playing dockerd's part exactly as it does it: addresses reserved
 * first, a join before the container's namespace exists, the interface moved
 * in and configured by the engine, moved back after leave, then the endpoint
 * deleted and the address released.
 */

const ip = (...args: string[]) => execFileSync("ip", args, { encoding: "utf8" });

/** What dockerd does after Join, once runc made the namespace: move, rename, address, routes. */
function engineMovesIn(ns: string, srcName: string, address: string, gateway?: string): void {
  ip("link", "set", srcName, "netns", ns, "name", "eth0");
  ip("-n", ns, "addr", "add", address, "dev", "eth0");
  ip("-n", ns, "link", "set", "eth0", "up");
  ip("-n", ns, "link", "set", "lo", "up");
  if (gateway) ip("-n", ns, "route", "add", "default", "via", gateway);
}

/** What dockerd does after Leave: the interface back to its own namespace under its first name. */
function engineMovesOut(ns: string, srcName: string): void {
  ip("-n", ns, "link", "set", "eth0", "down");
  ip("-n", ns, "link", "set", "eth0", "name", srcName, "netns", String(process.pid));
}

async function start(prefix: string, db: string): Promise<{ c: Controller; store: SqliteStateStore }> {
  const store = new SqliteStateStore(db);
  const c = await createLinuxController({ prefix, runDir: `/run/cnm-test/${prefix}`, store, watchFirewall: false });
  return { c, store };
}

describe("an engine's sandboxes: the interface left in the host's namespace for the engine to move", () => {
  const prefix = uniquePrefix();
  const db = `/run/cnm-test/${prefix}-state/state.db`;
  const containers = [`${prefix}-dk1`, `${prefix}-dk2`];
  let life: { c: Controller; store: SqliteStateStore } | undefined;

  after(async () => {
    try {
      await life?.c.destroyAll();
      await life?.c.close();
      life?.store.close();
    } finally {
      for (const ns of containers) {
        try {
          execFileSync("ip", ["netns", "delete", ns], { stdio: "ignore" });
        } catch {
          // Deleted by the test already.
        }
      }
      sweep(prefix);
      rmSync(`/run/cnm-test/${prefix}-state`, { recursive: true, force: true });
    }
  });

  it("two containers on a bridge network reach each other and the gateway, through a restart, and leave nothing", async () => {
    life = await start(prefix, db);
    const c = life.c;
    await c.createNetwork({ name: "dk", ipam: { config: [{ subnet: "10.209.0.0/24" }] } });
    const ids = [randomBytes(32).toString("hex"), randomBytes(32).toString("hex")];
    const answers = [];
    const addresses: string[] = [];
    for (const [i, id] of ids.entries()) {
      const address = await c.reserveAddress("dk", { v6: false });
      addresses.push(address);
      const view = await c.createEngineEndpoint("dk", { id, name: `docker-${id.slice(0, 12)}`, ipv4Address: address });
      assert.equal(view.endpoint.id, id);
      assert.equal(view.endpoint.address, address);
      // The container's namespace does not exist yet at Join: cnm must not need it.
      const answer = await c.engineJoin(id, { engine: "docker", sandboxKey: `/var/run/docker/netns/${id.slice(0, 12)}` });
      assert.equal(answer.gateway, "10.209.0.1");
      assert.equal(answer.dstPrefix, "eth");
      assert.ok(ip("-br", "link", "show", answer.srcName).includes(answer.srcName), "the interface waits in the host's namespace");
      answers.push(answer);
    }
    assert.deepEqual(addresses, ["10.209.0.2/24", "10.209.0.3/24"]);
    for (const [i, ns] of containers.entries()) {
      ip("netns", "add", ns);
      engineMovesIn(ns, answers[i]!.srcName, addresses[i]!, answers[i]!.gateway);
    }
    assert.ok(await canPing(`/run/netns/${containers[0]}`, plain(addresses[1]!)));
    assert.ok(await canPing(`/run/netns/${containers[1]}`, "10.209.0.1"));
    assert.equal(c.sandboxes().filter((s) => s.sandbox.engine === "docker").length, 2);

    // A daemon restart keeps the containers' joins: the driver finds each interface by its host end.
    await c.close();
    life.store.close();
    life = await start(prefix, db);
    const c2 = life.c;
    assert.equal(c2.networkEndpoints("dk").filter((e) => e.endpoint.sandboxId !== undefined).length, 2);
    assert.ok(await canPing(`/run/netns/${containers[0]}`, plain(addresses[1]!)));

    // The container stops: leave, the engine moves the interface back, the endpoint goes, the address is released.
    await c2.engineLeave(ids[0]!);
    engineMovesOut(containers[0]!, answers[0]!.srcName);
    await c2.deleteEngineEndpoint(ids[0]!);
    assert.equal(await c2.releaseAddress("dk", addresses[0]!), true);
    assert.ok(!ip("-br", "link").includes(answers[0]!.srcName), "the pair is gone");
    // A late or repeated release never frees an address a live endpoint holds.
    assert.equal(await c2.releaseAddress("dk", addresses[1]!), false);
    assert.equal(c2.sandboxes().filter((s) => s.sandbox.engine === "docker").length, 1);
    // The released address is handed out again.
    assert.equal(await c2.reserveAddress("dk", { v6: false }), addresses[0]);
    assert.equal(await c2.releaseAddress("dk", addresses[0]!), true);

    // A container that died (its namespace destroyed) while cnm was away: swept at restore.
    await c2.close();
    life.store.close();
    execFileSync("ip", ["netns", "delete", containers[1]!]);
    await new Promise((r) => setTimeout(r, 200));
    life = await start(prefix, db);
    assert.equal(life.c.networkEndpoints("dk").length, 0);
    assert.equal(life.c.sandboxes().filter((s) => s.sandbox.engine === "docker").length, 0);
    // The engine's release was lost with cnm away: its address went with the endpoint.
    assert.equal(await life.c.reserveAddress("dk", { v6: false, preferred: addresses[1]! }), addresses[1]);
    assert.equal(await life.c.releaseAddress("dk", addresses[1]!), true);
    await life.c.deleteNetwork("dk");
    assert.deepEqual(leftoverLinks(prefix), []);
  });
});
