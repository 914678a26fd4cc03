import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FlushWatcher } from "../../src/linux/nftables/index.js";

describe("nftables flush watcher: restarts", () => {
  it("restarts a monitor that keeps dying after min, doubling, up to max", async () => {
    const logs: string[] = [];
    // /bin/false stands in for an nft that exits at once, every time.
    const watcher = new FlushWatcher({
      nftPath: "/bin/false",
      tableName: "cnm-none",
      onTampered: () => {},
      onLog: (m) => logs.push(m),
      minBackoffMs: 20,
      maxBackoffMs: 80,
      catchUpMs: 60_000,
    });
    watcher.start();
    try {
      const delays = (): number[] => logs.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
      const deadline = Date.now() + 5000;
      while (delays().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(delays().slice(0, 5), [20, 40, 80, 80, 80]);
    } finally {
      await watcher.stop();
    }
    assert.equal(watcher.pid, undefined);
  });
});
