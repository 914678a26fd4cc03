import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { dummyParentName, ownerAlias } from "../../src/drivers/macvlan/index.js";
import { createLinuxController, SqliteStateStore, type Controller, type RestoreReport } from "../../src/index.js";
import { canPing, plain, sweep, uniquePrefix } from "../integration/helpers.js";
import { linkDetails, makeSegment, type Segment } from "./segment.js";

async function start(prefix: string, dbPath: string, onRestore?: (r: RestoreReport) => void): Promise<{ c: Controller; store: SqliteStateStore }> {
  const store = new SqliteStateStore(dbPath);
  const c = await createLinuxController({ prefix, runDir: `/run/cnm-test/${prefix}`, store, watchFirewall: false, ...(onRestore ? { onRestore } : {}) });
  return { c, store };
}

describe("macvlan across a daemon restart", () => {
  const prefix = uniquePrefix();
  const db = `/run/cnm-test/${prefix}-state/state.db`;
  let life: { c: Controller; store: SqliteStateStore } | undefined;
  let seg: Segment | undefined;

  after(async () => {
    try {
      await life?.c.destroyAll();
      await life?.c.close();
      life?.store.close();
    } finally {
      seg?.remove();
      sweep(prefix);
      rmSync(`/run/cnm-test/${prefix}-state`, { recursive: true, force: true });
    }
  });

  it("adopts the macvlans and the dummy parent it made, creates nothing twice, and sweeps a dummy no record accounts for", async () => {
    seg = makeSegment(prefix, "pr", ["198.51.100.254/24"]);
    life = await start(prefix, db);
    await life.c.createNetwork({ name: "seg", driver: "macvlan", ipam: { config: [{ subnet: "198.51.100.0/24" }] }, options: { parent: seg.parent } });
    const inner = await life.c.createNetwork({ name: "inner", driver: "macvlan", ipam: { config: [{ subnet: "10.232.0.0/24" }] } });
    const a = await life.c.createSandbox({ name: "a" });
    await life.c.createSandbox({ name: "b" });
    await life.c.connect("seg", "a");
    await life.c.connect("inner", "a");
    const eb = (await life.c.connect("inner", "b")).endpoint;
    const dummy = dummyParentName(prefix, inner.id);
    const dummyIndex = linkDetails(undefined, dummy)!.ifindex as number;
    const macBefore = linkDetails(a.sandbox.key.split("/").pop(), "eth0")!.address as string;

    // The daemon stops (no teardown); meanwhile a dummy parent of a network that never got stored appears.
    await life.c.close();
    life.store.close();
    life = undefined;
    const stray = dummyParentName(prefix, "f".repeat(64));
    execFileSync("ip", ["link", "add", stray, "type", "bridge"]);
    execFileSync("ip", ["link", "set", stray, "alias", ownerAlias(prefix, "f".repeat(64))]);

    let report: RestoreReport | undefined;
    life = await start(prefix, db, (r) => (report = r));
    assert.deepEqual(report?.failed, []);
    assert.equal(report?.kept, 3);
    assert.equal(report?.rebuilt, 0);
    // The same links, untouched: the dummy kept its ifindex, the sandbox its eth0 and MAC.
    assert.equal(linkDetails(undefined, dummy)!.ifindex, dummyIndex);
    assert.equal(linkDetails(a.sandbox.key.split("/").pop(), "eth0")!.address, macBefore);
    assert.equal(linkDetails(undefined, stray), undefined, "the stray dummy was swept");
    assert.ok(await canPing(a.sandbox.key, "198.51.100.254"));
    assert.ok(await canPing(a.sandbox.key, plain(eb.address)));

    // After the restart the driver still owns the dummy: it goes with its network.
    await life.c.deleteSandbox("a");
    await life.c.deleteSandbox("b");
    await life.c.deleteNetwork("inner");
    assert.equal(linkDetails(undefined, dummy), undefined);
    await life.c.deleteNetwork("seg");
    assert.ok(linkDetails(undefined, seg.parent), "the user's parent stays");
  });
});
