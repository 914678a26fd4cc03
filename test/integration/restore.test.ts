import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { createLinuxController, SqliteStateStore, type Controller, type RestoreReport } from "../../src/index.js";
import { canPing, fetchReply, leftoverNamespaces, plain, settledLeftoverLinks, startListener, sweep, uniquePrefix } from "./helpers.js";

/** A daemon's life: a controller on a SQLite store that a later one restores. */
async function start(prefix: string, dbPath: string, onRestore?: (r: RestoreReport) => void): Promise<{ c: Controller; store: SqliteStateStore }> {
  const store = new SqliteStateStore(dbPath);
  const c = await createLinuxController({
    prefix,
    runDir: `/run/cnm-test/${prefix}`,
    store,
    watchFirewall: false,
    ...(onRestore ? { onRestore } : {}),
  });
  return { c, store };
}

describe("restart: restore from the store and reconcile with the kernel", () => {
  const prefix = uniquePrefix();
  const db = `/run/cnm-test/${prefix}-state/state.db`;
  let life: { c: Controller; store: SqliteStateStore } | undefined;
  const children: ReturnType<typeof spawn>[] = [];

  after(async () => {
    for (const ch of children) ch.kill();
    try {
      await life?.c.destroyAll();
      await life?.c.close();
      life?.store.close();
    } finally {
      sweep(prefix);
      rmSync(`/run/cnm-test/${prefix}-state`, { recursive: true, force: true });
    }
  });

  it("keeps sandboxes connected across a restart: no lost ping, same ports, same addresses", async () => {
    life = await start(prefix, db);
    await life.c.createNetwork({ name: "live", ipam: { config: [{ subnet: "10.207.0.0/24" }] } });
    const a = await life.c.createSandbox({ name: "a", portBindings: [{ proto: "tcp", containerPort: 8080, hostPort: 0 }] });
    const b = await life.c.createSandbox({ name: "b" });
    await life.c.connect("live", "a");
    const eb = await life.c.connect("live", "b");
    children.push(await startListener(a.sandbox.key, "tcp", 8080, "still-here"));
    const epA = life.c.networkEndpoints("live").find((e) => e.endpoint.name === "a")!.endpoint;
    const info = await life.c.endpointOperInfo("live", epA.id);
    const hostPort = (info["com.docker.network.portmap"] as { HostPort: number }[])[0]!.HostPort;
    assert.equal(await fetchReply(undefined, "tcp", "127.0.0.1", hostPort), "still-here");

    // 200 pings 20 ms apart run across the daemon's stop and start.
    const nsA = a.sandbox.key.split("/").pop()!;
    const ping = spawn("ip", ["netns", "exec", nsA, "ping", "-c", "200", "-i", "0.02", "-W", "1", plain(eb.endpoint.address)]);
    children.push(ping);
    let pingOut = "";
    ping.stdout.on("data", (d) => (pingOut += d));
    const pingDone = new Promise<void>((r) => ping.once("exit", () => r()));
    await new Promise((r) => setTimeout(r, 500));

    // The daemon stops (SIGTERM: no teardown) and a new one starts on the same store.
    await life.c.close();
    life.store.close();
    let report: RestoreReport | undefined;
    life = await start(prefix, db, (r) => (report = r));
    assert.deepEqual(report?.failed, []);
    assert.equal(report?.kept, 2);
    assert.equal(report?.rebuilt, 0);
    await pingDone;
    assert.match(pingOut, / 200 received, 0% packet loss/);

    assert.deepEqual(life.c.networks().map((n) => n.name), ["live"]);
    assert.equal(await fetchReply(undefined, "tcp", "127.0.0.1", hostPort), "still-here", "the same host port, published again");
    // IPAM knows the restored addresses: the next sandbox gets a new one.
    await life.c.createSandbox({ name: "c" });
    const ec = await life.c.connect("live", "c");
    assert.equal(ec.endpoint.address, "10.207.0.4/24");
    assert.ok(await canPing(life.c.sandbox("c").sandbox.key, plain(eb.endpoint.address)));
  });

  it("makes again what vanished while it was down, and removes what it no longer knows", async () => {
    const b = life!.c.sandbox("b");
    await life!.c.close();
    life!.store.close();
    // While the daemon is down: b's namespace disappears, and a stray veth appears with the prefix's name.
    execFileSync("ip", ["netns", "delete", b.sandbox.key.split("/").pop()!]);
    const stray = `${prefix}h${"ab".repeat(7)}`.slice(0, 15);
    execFileSync("ip", ["link", "add", stray, "type", "veth", "peer", "name", `${prefix}strayp`]);
    let report: RestoreReport | undefined;
    life = await start(prefix, db, (r) => (report = r));
    assert.deepEqual(report?.failed, []);
    assert.equal(report?.rebuilt, 1, "b's interface made again in a new namespace");
    assert.equal(report?.kept, 2, "a and c untouched");
    const nsB = life.c.sandbox("b");
    assert.ok(await canPing(nsB.sandbox.key, "10.207.0.2"));
    assert.ok(!(await settledLeftoverLinks(prefix)).includes(stray), "the stray veth is gone");
    // A process still inside a namespace keeps it (and its veth) alive: stop the listener first.
    for (const ch of children) ch.kill();
    await new Promise((r) => setTimeout(r, 200));
    await life.c.destroyAll();
    assert.deepEqual(leftoverNamespaces(prefix), []);
    assert.deepEqual(await settledLeftoverLinks(prefix), []);
  });
});
