// Pure helpers of the reference side: statistics, subnet arithmetic, progress ticks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { median, percentile, summary } from "../../bench/reference/stats.js";
import { contains, hostAddress, hostCount, parseSubnet } from "../../bench/reference/ipv4.js";
import { tenthTicker, type ProgressEvent } from "../../bench/reference/progress.js";
import { firewallFor } from "../../bench/reference/netavark.js";

test("median and percentiles interpolate between ranks", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(percentile([10, 20, 30, 40, 50], 0), 10);
  assert.equal(percentile([10, 20, 30, 40, 50], 100), 50);
  assert.equal(percentile([10, 20, 30, 40, 50], 90), 46);
  assert.throws(() => median([]), RangeError);
  assert.deepEqual(summary([2, 4]), { n: 2, min: 2, p50: 3, p90: 3.8, p99: 3.98, max: 4, mean: 3 });
});

test("subnet arithmetic gives gateway and sandbox addresses", () => {
  const s = parseSubnet("10.213.0.0/24");
  assert.equal(hostCount(s), 254);
  assert.equal(hostAddress(s, 1), "10.213.0.1");
  assert.equal(hostAddress(s, 254), "10.213.0.254");
  assert.throws(() => hostAddress(s, 255), RangeError);
  assert.ok(contains(s, "10.213.0.77"));
  assert.ok(!contains(s, "10.213.1.0"));
  assert.equal(hostAddress(parseSubnet("10.213.0.0/16"), 300), "10.213.1.44");
  assert.throws(() => parseSubnet("10.213.0.1/24"), /host bits/);
});

test("progress fires at each tenth, and at every item when there are fewer than ten", () => {
  const seen: number[] = [];
  const tick = tenthTicker("cni", "add", 100, (e: ProgressEvent) => seen.push(e.done));
  for (let i = 1; i <= 100; i++) tick(i);
  assert.deepEqual(seen, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  const few: number[] = [];
  const tick3 = tenthTicker("netavark", "del", 3, (e) => few.push(e.done));
  for (let i = 1; i <= 3; i++) tick3(i);
  assert.deepEqual(few, [1, 2, 3]);
});

test("netavark gets the nftables driver only from 1.10 on", () => {
  assert.equal(firewallFor("1.4.0"), "iptables");
  assert.equal(firewallFor("1.9.0"), "iptables");
  assert.equal(firewallFor("1.10.0"), "nftables");
  assert.equal(firewallFor("2.0.1"), "nftables");
});
