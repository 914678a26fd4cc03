/**
 * A bulk sync of a large table: 100,000 entries (64-byte keys, 200-byte
 * values, about 32 MB of table events) reach a node joining the network in
 * messages of at most bulkSyncChunkBytes (1 MiB), far from memberlist's
 * 10 MiB stream limit, with memberlist's LZW compression on as Docker runs it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MaxPushStateBytes } from "../../../src/networkdb/wire/index.js";
import { cluster } from "./sim-helpers.js";

describe("networkdb bulk sync of a large table", () => {
  it("moves 100,000 entries in 1 MiB messages", async (t) => {
    const sim = await cluster(2);
    const [a, b] = sim.nodes as [(typeof sim.nodes)[0], (typeof sim.nodes)[0]];
    await sim.joinNetwork("big", [a]);
    const value = new Uint8Array(200);
    for (let i = 0; i < 100_000; i++) {
      value[0] = i & 0xff;
      value[1] = (i >> 8) & 0xff;
      value[2] = i >> 16;
      a.db.createEntry("endpoints", "big", `endpoint-${i}`.padEnd(64, "-"), value);
    }
    const heapBefore = process.memoryUsage().heapUsed;
    await sim.run(1_000); // b hears that a is in the network
    await sim.settle(b.db.joinNetwork("big"), 600_000, 50);
    await sim.run(1_000);
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

    const got = b.db.getTableByNetwork("endpoints", "big");
    assert.equal(got.size, 100_000);
    assert.deepEqual(got.get("endpoint-65793".padEnd(64, "-"))?.value.subarray(0, 3), Uint8Array.of(1, 1, 1));
    const sent = a.db.diagnostics().counters;
    t.diagnostic(
      `${sent.bulkSyncsSent} messages, ${(sent.bulkSyncBytesSent / 2 ** 20).toFixed(1)} MiB, largest ${sent.bulkSyncLargestSent} bytes, heap +${(heapGrowth / 2 ** 20).toFixed(0)} MiB`,
    );
    assert.ok(sent.bulkSyncsSent >= 30, `${sent.bulkSyncsSent} messages`);
    assert.ok(sent.bulkSyncLargestSent <= (1 << 20) + 4096, `largest message ${sent.bulkSyncLargestSent} bytes`);
    assert.ok(sent.bulkSyncLargestSent < MaxPushStateBytes / 8);
    await sim.shutdown();
  });
});
