// Lifecycle of the firewall's tables on real nftables: removal leaves nothing,
// flushes are repaired by the watcher, failures are reported with nft's
// message, and a tampered table does not wedge later mutations. Each test
// runs in its own network namespace so that whole-ruleset comparisons (and
// `nft flush ruleset`) only ever see this test's objects; the last suite runs
// in the real host namespace, touching nothing but its own uniquely named tables.
import { after, afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Firewall, FlushWatcher, NftError, type FirewallEvent, type FirewallNetwork, type PortMapping } from "../../src/linux/nftables/index.js";
import { Topology, listRuleset, listTable, run, uniquePrefix, waitFor } from "./nftables-topology.js";

const topologies: Topology[] = [];
const firewalls: Firewall[] = [];

/** A fresh namespace and a Firewall running nft inside it. */
function setup(
  onEvent?: (e: FirewallEvent) => void,
  restoreLimit?: { burst: number; windowMs: number },
): { ns: string; fw: Firewall; prefix: string } {
  const prefix = uniquePrefix();
  const topo = new Topology(prefix);
  topologies.push(topo);
  const ns = topo.addNamespace("h");
  const fw = new Firewall({ prefix, netns: ns, ...(onEvent ? { onEvent } : {}), ...(restoreLimit ? { restoreLimit } : {}) });
  firewalls.push(fw);
  return { ns, fw, prefix };
}

afterEach(async () => {
  for (const fw of firewalls.splice(0)) await fw.removeAll().catch(() => {});
  for (const t of topologies.splice(0)) await t.destroy();
});

const net = (prefix: string, id: string, n: number, extra: Partial<FirewallNetwork> = {}): FirewallNetwork => ({
  id,
  bridge: `${prefix}b${n}`,
  subnets: [`10.123.${n}.0/24`, `fd00:7b:${n}::/64`],
  masquerade: true,
  icc: true,
  internal: false,
  ...extra,
});

const mapping = (id: string, n: number, hostPort: number, extra: Partial<PortMapping> = {}): PortMapping => ({
  networkId: id,
  proto: "tcp",
  hostPort,
  containerIP: `10.123.${n}.2`,
  containerPort: 80,
  ...extra,
});

describe("nftables firewall: removal leaves nothing", () => {
  it("removePortMappings and removeNetwork return the tables to their initial content; removeAll to the initial ruleset", async () => {
    const { ns, fw } = setup();
    const pristine = listRuleset(ns);
    await fw.init();
    const initial = listRuleset(ns);
    assert.notDeepEqual(initial, pristine, "init created the tables");

    await fw.addNetwork(net(fw.tableName, "n1", 1, { icc: false }));
    await fw.addNetwork(net(fw.tableName, "n2", 2, { masquerade: false, hostBindingIPv4: "192.0.2.1" }));
    await fw.addNetwork(net(fw.tableName, "n3", 3, { internal: true }));
    const maps = [
      mapping("n1", 1, 8080),
      mapping("n1", 1, 8053, { proto: "udp" }),
      mapping("n1", 1, 8080, { containerIP: "fd00:7b:1::2" }),
      mapping("n1", 1, 9090, { hostIP: "198.51.100.7" }),
      mapping("n1", 1, 9090, { hostIP: "2001:db8::7", containerIP: "fd00:7b:1::2" }),
      mapping("n2", 2, 8081),
    ];
    await fw.addPortMappings(maps);
    assert.notDeepEqual(listRuleset(ns), initial);
    const text = listTable(ns, "inet", fw.tableName) ?? "";
    assert.match(text, /192\.0\.2\.1 \. tcp \. 8081 : 10\.123\.2\.2/, "hostBindingIPv4 binds n2's mapping");
    assert.match(text, /2001:db8::7 \. tcp \. 9090 : fd00:7b:1::2/);
    assert.deepEqual(fw.portMappings().length, maps.length);

    await fw.removePortMappings(maps.slice(0, 3));
    await fw.removeNetwork("n1"); // takes its remaining mappings along
    await fw.removeNetwork("n2");
    await fw.removeNetwork("n3");
    await fw.removeNetwork("n3"); // unknown: a no-op
    assert.deepEqual(listRuleset(ns), initial);
    assert.deepEqual(fw.portMappings(), []);

    await fw.removeAll();
    assert.deepEqual(listRuleset(ns), pristine);
  });

  it("re-adding identical declarations is a no-op; conflicting ones are refused", async () => {
    const { ns, fw } = setup();
    await fw.init({ networks: [net(fw.tableName, "n1", 1)], portMappings: [mapping("n1", 1, 8080)] });
    const before = listRuleset(ns);
    await fw.addNetwork(net(fw.tableName, "n1", 1));
    await fw.addPortMappings([mapping("n1", 1, 8080)]);
    assert.deepEqual(listRuleset(ns), before);
    await assert.rejects(fw.addNetwork(net(fw.tableName, "n1", 1, { icc: false })), /network n1 already exists/);
    await assert.rejects(
      fw.addPortMappings([mapping("n1", 1, 8080, { containerIP: "10.123.1.9" })]),
      /port 8080\/tcp on all addresses is already published to 10\.123\.1\.2:80/,
    );
    assert.deepEqual(listRuleset(ns), before, "refused changes left the kernel untouched");
  });
});

describe("nftables firewall: input validation", () => {
  it("rejects bad input before touching nftables, naming what is wrong", async () => {
    const { ns, fw } = setup();
    await fw.init({ networks: [net(fw.tableName, "n1", 1), net(fw.tableName, "i1", 5, { internal: true })], portMappings: [] });
    const before = listRuleset(ns);
    const p = fw.tableName;
    await assert.rejects(fw.addNetwork(net(p, "x", 2, { subnets: ["10.123.2.0/33"] })), /network x subnet "10\.123\.2\.0\/33": prefix length must be 0\.\.32/);
    await assert.rejects(fw.addNetwork(net(p, "x", 2, { subnets: ["10.123.300.0/24"] })), /not an IPv4 or IPv6 address/);
    await assert.rejects(fw.addNetwork(net(p, "x", 2, { bridge: "a-very-long-bridge-name" })), /invalid bridge name/);
    await assert.rejects(fw.addNetwork(net(p, "x", 2, { bridge: `${p}b1` })), /bridge .* is already used by network n1/);
    await assert.rejects(fw.addNetwork(net(p, "x", 2, { subnets: ["10.123.1.128/25"] })), /overlaps subnet 10\.123\.1\.0\/24 of network n1/);
    await assert.rejects(fw.addNetwork(net(p, "x", 2, { hostBindingIPv4: "::1" })), /hostBindingIPv4 ::1 is not an IPv4 address/);
    await assert.rejects(fw.addPortMappings([mapping("nope", 1, 80)]), /unknown network nope/);
    await assert.rejects(fw.addPortMappings([mapping("i1", 5, 80)]), /network i1 is internal/);
    await assert.rejects(fw.addPortMappings([mapping("n1", 1, 0)]), /host port 0 is not a port number/);
    await assert.rejects(fw.addPortMappings([mapping("n1", 1, 80, { hostIP: "::" })]), /different families/);
    await assert.rejects(fw.addPortMappings([mapping("n1", 1, 80, { proto: "icmp" as "tcp" })]), /protocol must be "tcp" or "udp"/);
    // All or nothing: the valid first mapping is not applied either.
    await assert.rejects(fw.addPortMappings([mapping("n1", 1, 81), mapping("n1", 1, 82, { containerIP: "bogus" })]), /container address/);
    assert.deepEqual(fw.portMappings(), []);
    assert.deepEqual(listRuleset(ns), before);
  });
});

describe("nftables firewall: nft failures", () => {
  it("surfaces nft's stderr and the action", async () => {
    const fw = new Firewall({ prefix: uniquePrefix(), netns: "cnm-no-such-netns-x" });
    await assert.rejects(fw.init(), (e: unknown) => {
      assert.ok(e instanceof NftError);
      assert.match(e.message, /^nftables: init of tables t[0-9a-f]{4} failed: .*Cannot open network namespace "cnm-no-such-netns-x"/);
      assert.equal(e.action, `init of tables ${fw.tableName}`);
      return true;
    });
    const missing = new Firewall({ prefix: uniquePrefix(), nftPath: "/nonexistent/nft" });
    await assert.rejects(missing.init(), /nftables: init of tables .* failed: spawn \/nonexistent\/nft ENOENT/);
    await assert.rejects(missing.addNetwork(net("t", "n", 1)), /init\(\) has not been called/);
  });

  it("recovers when someone removed one of its elements: the diff fails, a full render succeeds", async () => {
    const events: FirewallEvent[] = [];
    const { ns, fw } = setup((e) => events.push(e));
    await fw.init({ networks: [net(fw.tableName, "n1", 1)], portMappings: [mapping("n1", 1, 8080), mapping("n1", 1, 8081)] });
    run("ip", "netns", "exec", ns, "nft", "delete", "element", "inet", fw.tableName, "dnat_any_v4_addr", "{ tcp . 8080 }");
    await fw.removePortMappings([mapping("n1", 1, 8080)]);
    assert.ok(events.some((e) => e.kind === "restored" && /element batch failed: .*No such file or directory/.test(e.reason)));
    const text = listTable(ns, "inet", fw.tableName) ?? "";
    assert.match(text, /tcp \. 8081 : 10\.123\.1\.2/);
    assert.doesNotMatch(text, /tcp \. 8080/);
    // And the next mutation is an ordinary diff again.
    await fw.addPortMappings([mapping("n1", 1, 8082)]);
    assert.match(listTable(ns, "inet", fw.tableName) ?? "", /tcp \. 8082 : 10\.123\.1\.2/);
    // An element slipped in by someone else (no monitor event for that) is
    // found by an explicit repair() and removed.
    run("ip", "netns", "exec", ns, "nft", "add", "element", "inet", fw.tableName, "bridges", '{ "intruder0" }');
    assert.equal(await fw.repair(), `set inet ${fw.tableName} bridges has 2 elements, expected 1`);
    assert.doesNotMatch(listTable(ns, "inet", fw.tableName) ?? "", /intruder0/);
    assert.equal(await fw.repair(), null);
  });
});

describe("nftables firewall: flush watcher", () => {
  it("puts the tables back after delete table, flush ruleset and flush chain, within a second", async () => {
    const events: FirewallEvent[] = [];
    const { ns, fw } = setup((e) => events.push(e));
    await fw.init({ networks: [net(fw.tableName, "n1", 1, { icc: false })], portMappings: [mapping("n1", 1, 8080)] });
    const wantInet = listTable(ns, "inet", fw.tableName);
    const wantBridge = listTable(ns, "bridge", fw.tableName);
    const show = (): string => JSON.stringify(events.map((e) => (e.kind === "repair-failed" ? e.error.message : e)));
    const stop = fw.watchForFlush();
    try {
      await new Promise((r) => setTimeout(r, 400)); // let the monitor subscribe
      const restored = (): boolean =>
        listTable(ns, "inet", fw.tableName) === wantInet && listTable(ns, "bridge", fw.tableName) === wantBridge;

      run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", fw.tableName);
      // (No check that it is gone: the watcher is often faster than `nft list`.)
      assert.notEqual(await waitFor(restored, 1000), null, `restored after delete table ${show()}`);

      run("ip", "netns", "exec", ns, "nft", "flush", "ruleset");
      assert.notEqual(await waitFor(restored, 1000), null, `restored after flush ruleset ${show()}` + listTable(ns, "inet", fw.tableName));

      run("ip", "netns", "exec", ns, "nft", "flush", "chain", "inet", fw.tableName, "forward");
      assert.notEqual(await waitFor(restored, 1000), null, `restored after flush chain ${show()}`);

      run("ip", "netns", "exec", ns, "nft", "delete", "table", "bridge", fw.tableName);
      assert.notEqual(await waitFor(restored, 1000), null, `restored after delete of the bridge table ${show()}`);
      // The event follows the restore by a tick.
      const counted = await waitFor(() => events.filter((e) => e.kind === "restored").length >= 4, 500);
      assert.notEqual(counted, null, JSON.stringify(events));
    } finally {
      await stop();
    }
    // Stopped: nothing puts the table back any more.
    run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", fw.tableName);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(listTable(ns, "inet", fw.tableName), null);
    // repair() on demand still works without the watcher.
    assert.match((await fw.repair()) ?? "", /table inet .* is missing/);
    assert.equal(await fw.repair(), null);
  });

  it("rate-limits automatic restores, then retries when the window ends", async () => {
    const events: FirewallEvent[] = [];
    const { ns, fw } = setup((e) => events.push(e), { burst: 2, windowMs: 1500 });
    await fw.init({ networks: [net(fw.tableName, "n1", 1)], portMappings: [] });
    const stop = fw.watchForFlush();
    const present = (): boolean => listTable(ns, "inet", fw.tableName) !== null;
    const restores = (): number => events.filter((e) => e.kind === "restored").length;
    try {
      await new Promise((r) => setTimeout(r, 400));
      for (let i = 1; i <= 2; i++) {
        run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", fw.tableName);
        assert.notEqual(await waitFor(() => restores() === i, 1000), null, `restore ${i}`);
      }
      const third = Date.now();
      run("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", fw.tableName);
      assert.notEqual(await waitFor(() => events.some((e) => e.kind === "repair-failed"), 1000), null);
      const failed = events.find((e): e is Extract<FirewallEvent, { kind: "repair-failed" }> => e.kind === "repair-failed");
      assert.match(failed?.error.message ?? "", /2 restores in 1500 ms; pausing automatic repair/);
      assert.equal(present(), false, "paused: not restored yet");
      assert.notEqual(await waitFor(present, 2500), null, "restored by the retry");
      assert.ok(Date.now() - third > 500, "only after the pause");
    } finally {
      await stop();
    }
  });

  it("restarts a monitor that died and still notices flushes; stop() leaves no child", async () => {
    const { ns, fw } = setup();
    await fw.init();
    const reasons: string[] = [];
    const watcher = new FlushWatcher({ netns: ns, tableName: fw.tableName, onTampered: (r) => reasons.push(r), minBackoffMs: 50 });
    watcher.start();
    try {
      await waitFor(() => reasons.length > 0, 2000);
      assert.deepEqual(reasons, ["monitor (re)started"]);
      const firstPid = watcher.pid;
      assert.ok(firstPid);
      process.kill(firstPid, "SIGKILL");
      assert.notEqual(await waitFor(() => watcher.pid !== undefined && watcher.pid !== firstPid, 2000), null, "respawned");
      await waitFor(() => reasons.length > 1, 2000);
      assert.equal(reasons[1], "monitor (re)started");
      await new Promise((r) => setTimeout(r, 200));
      run("ip", "netns", "exec", ns, "nft", "delete", "table", "bridge", fw.tableName);
      assert.notEqual(await waitFor(() => reasons.length > 2, 1000), null);
      assert.match(reasons[2]!, /deleted in bridge /);
    } finally {
      const pid = watcher.pid;
      await watcher.stop();
      assert.equal(watcher.pid, undefined);
      if (pid) assert.throws(() => process.kill(pid, 0), /ESRCH/, "the monitor process is gone");
    }
  });
});

describe("nftables firewall: in the real host namespace", () => {
  const prefix = uniquePrefix();
  const fw = new Firewall({ prefix });
  const ours = (objs: unknown[]): unknown[] =>
    objs.filter((o) => {
      const v = Object.values(o as Record<string, { table?: string; name?: string }>)[0];
      return v?.table === prefix || v?.name === prefix;
    });
  after(async () => {
    await fw.removeAll().catch(() => {});
  });

  it("creates only its own tables, repairs them, and removes exactly them", async () => {
    const before = listRuleset();
    assert.deepEqual(ours(before), []);
    // The bridge need not exist: sets hold interface names, not indexes.
    await fw.init({ networks: [net(prefix, "n1", 1)], portMappings: [mapping("n1", 1, 8080)] });
    assert.match(listTable(undefined, "inet", prefix) ?? "", /tcp \. 8080 : 10\.123\.1\.2/);
    assert.ok(listTable(undefined, "bridge", prefix));
    // Other tables' counters keep counting whatever traffic the machine carries meanwhile.
    const others = (objs: unknown[]): unknown =>
      JSON.parse(JSON.stringify(objs.filter((o) => !ours([o]).length), (k, v: unknown) => (k === "counter" ? "…" : v)));
    assert.deepEqual(others(listRuleset()), others(before), "nothing else changed");

    const stop = fw.watchForFlush();
    try {
      await new Promise((r) => setTimeout(r, 400));
      run("nft", "delete", "table", "inet", prefix);
      assert.notEqual(await waitFor(() => /tcp \. 8080/.test(listTable(undefined, "inet", prefix) ?? ""), 1000), null);
    } finally {
      await stop();
    }
    await fw.removeAll();
    assert.deepEqual(ours(listRuleset()), []);
  });
});
