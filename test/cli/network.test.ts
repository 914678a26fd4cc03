// `cnm network ...` end to end: bin/cnm as a child process against a real
// daemon (controller + API server on a temp socket) in this process.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { lingeringLinks, linksWithPrefix, namespacesWithPrefix, runCnm, startTestDaemon, type TestDaemon } from "./daemon-fixture.js";

interface NetworkJson {
  Name: string;
  Id: string;
  Driver: string;
  Scope: string;
  EnableIPv6: boolean;
  Internal: boolean;
  Attachable: boolean;
  IPAM: { Driver: string; Config: { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }[] };
  Containers: Record<string, { Name: string; IPv4Address: string; IPv6Address: string; EndpointID: string; MacAddress: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

let d: TestDaemon;
/** A /24 under 10.0.0.0/8 that other tests running at the same time are unlikely to pick. */
const net24 = () => `10.${randomInt(100, 250)}.${randomInt(0, 255)}`;

before(async () => {
  d = await startTestDaemon();
});

after(async () => {
  await d?.stop();
  if (d) {
    assert.deepEqual(namespacesWithPrefix(d.prefix), [], "no namespaces left");
    assert.deepEqual(await lingeringLinks(d.prefix), [], "no links left");
  }
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await d.cnm(args, input === undefined ? {} : { input });
  assert.equal(r.stderr, "", `stderr of cnm ${args.join(" ")}`);
  assert.equal(r.code, 0, `exit code of cnm ${args.join(" ")}`);
  return r.stdout;
}

async function inspectJson(name: string): Promise<NetworkJson> {
  const parsed = JSON.parse(await ok(["network", "inspect", "--format", "json", name])) as NetworkJson[];
  assert.equal(parsed.length, 1);
  return parsed[0]!;
}

describe("cnm network create / inspect", () => {
  it("passes every flag through: subnet, ip-range, gateway, aux-address, internal, attachable, opt, label", async () => {
    const p = net24();
    const name = `${d.prefix}-full`;
    const out = await ok([
      "network", "create", "-d", "bridge",
      "--subnet", `${p}.0/24`, "--ip-range", `${p}.128/25`, "--gateway", `${p}.254`, "--aux-address", `router=${p}.253`,
      "--internal", "--attachable",
      "-o", `com.docker.network.bridge.name=${d.prefix}-br0`, "--opt", "com.docker.network.driver.mtu=1400",
      "--label", "team=net", "--label", "tier",
      name,
    ]);
    assert.match(out, /^[0-9a-f]{64}\n$/, "prints the full id");
    const n = await inspectJson(name);
    assert.equal(n.Id, out.trim());
    assert.equal(n.Name, name);
    assert.equal(n.Driver, "bridge");
    assert.equal(n.Scope, "local");
    assert.equal(n.Internal, true);
    assert.equal(n.Attachable, true);
    assert.equal(n.EnableIPv6, false);
    assert.deepEqual(n.IPAM.Config, [{ Subnet: `${p}.0/24`, IPRange: `${p}.128/25`, Gateway: `${p}.254`, AuxiliaryAddresses: { router: `${p}.253` } }]);
    assert.equal(n.Options["com.docker.network.bridge.name"], `${d.prefix}-br0`);
    assert.equal(n.Options["com.docker.network.driver.mtu"], "1400");
    assert.deepEqual(n.Labels, { team: "net", tier: "" });
    assert.ok(linksWithPrefix(d.prefix).includes(`${d.prefix}-br0`), "the bridge exists under the name given with -o");

    const readable = await ok(["network", "inspect", name]);
    assert.match(readable, new RegExp(`^Name: +${name}$`, "m"));
    assert.match(readable, new RegExp(`^Subnets: +${p}\\.0/24 \\(range ${p}\\.128/25, gateway ${p}\\.254, aux router=${p}\\.253\\)$`, "m"));
    assert.match(readable, /^Internal: +true$/m);
    assert.match(readable, /^Labels: +team=net, tier=$/m);
    assert.match(readable, /^Sandboxes: none$/m);
    await ok(["network", "rm", name]);
  });

  it("--ipv6 with an IPv6 subnet", async () => {
    const name = `${d.prefix}-v6`;
    const v6 = `fd${randomInt(0x10, 0xff).toString(16)}:${randomInt(1, 0xffff).toString(16)}::/64`;
    await ok(["network", "create", "--ipv6", "--subnet", `${net24()}.0/24`, "--subnet", v6, name]);
    const sb = `${d.prefix}-v6sb`;
    const sbId = (await ok(["sandbox", "create", sb])).trim();
    try {
      const n = await inspectJson(name);
      assert.equal(n.EnableIPv6, true);
      assert.ok(n.IPAM.Config.some((c) => c.Subnet === v6), JSON.stringify(n.IPAM.Config));
      const ip6 = v6.replace("::/64", "::77");
      await ok(["network", "connect", "--ip6", ip6, name, sb]);
      assert.equal((await inspectJson(name)).Containers[sbId]?.IPv6Address, `${ip6}/64`);
      const inside = await ok(["sandbox", "exec", sb, "--", "ip", "-6", "-o", "addr", "show", "eth0"]);
      assert.match(inside, new RegExp(`inet6 ${ip6}/64 `));
      assert.equal(await ok(["network", "disconnect", "-f", name, sb]), "");
    } finally {
      await d.cnm(["sandbox", "rm", sb]);
      await ok(["network", "rm", name]);
    }
  });

  it("inspect of several names prints what exists and fails for the rest", async () => {
    const name = `${d.prefix}-insp`;
    await ok(["network", "create", name]);
    try {
      const r = await d.cnm(["network", "inspect", "--format", "json", name, "no-such-net"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^cnm: .*no-such-net.*\n$/);
      const parsed = JSON.parse(r.stdout) as NetworkJson[];
      assert.deepEqual(parsed.map((n) => n.Name), [name]);
    } finally {
      await ok(["network", "rm", name]);
    }
  });
});

describe("cnm network ls", () => {
  it("aligned table, -q, --no-trunc, --format json and filters", async () => {
    const a = `${d.prefix}-lsa`;
    const b = `${d.prefix}-lsb-longer-name`;
    const idA = (await ok(["network", "create", "--label", "k=1", a])).trim();
    const idB = (await ok(["network", "create", b])).trim();
    try {
      const table = (await ok(["network", "ls"])).trimEnd().split("\n");
      assert.match(table[0]!, /^NETWORK ID {5}NAME {2,}DRIVER {4}SCOPE$/);
      const nameCol = table[0]!.indexOf("NAME");
      const driverCol = table[0]!.indexOf("DRIVER");
      const rowA = table.find((l) => l.includes(` ${a} `))!;
      const rowB = table.find((l) => l.includes(` ${b} `))!;
      assert.equal(rowA.slice(0, 12), idA.slice(0, 12));
      assert.equal(rowA.indexOf(a), nameCol, "names line up under NAME");
      assert.equal(rowB.indexOf("bridge"), driverCol, "drivers line up under DRIVER");
      assert.ok(driverCol - nameCol >= b.length + 3, "NAME column is at least as wide as the longest name plus 3");
      assert.match(rowA, /bridge +local$/);

      const quiet = (await ok(["network", "ls", "-q"])).trim().split("\n");
      assert.ok(quiet.includes(idA.slice(0, 12)) && quiet.includes(idB.slice(0, 12)));
      assert.ok(quiet.every((l) => /^[0-9a-f]{12}$/.test(l)));
      const full = (await ok(["network", "ls", "-q", "--no-trunc"])).trim().split("\n");
      assert.ok(full.includes(idA) && full.includes(idB));

      const lines = (await ok(["network", "ls", "--format", "json"])).trim().split("\n");
      const objs = lines.map((l) => JSON.parse(l) as NetworkJson);
      assert.deepEqual(objs.find((o) => o.Name === a)?.Id, idA);
      assert.deepEqual(objs.find((o) => o.Name === a)?.Labels, { k: "1" });

      const byName = (await ok(["network", "ls", "-q", "--no-trunc", "--filter", `name=${d.prefix}-lsb`])).trim().split("\n");
      assert.deepEqual(byName, [idB]);
      const byLabel = (await ok(["network", "ls", "-q", "--no-trunc", "-f", "label=k=1"])).trim().split("\n");
      assert.deepEqual(byLabel, [idA]);
      const byId = (await ok(["network", "ls", "--format", "json", "--filter", `id=${idA.slice(0, 10)}`])).trim().split("\n");
      assert.deepEqual(byId.map((l) => (JSON.parse(l) as NetworkJson).Name), [a]);
      const byDriver = (await ok(["network", "ls", "-q", "--no-trunc", "--filter", "driver=bridge", "--filter", `name=${d.prefix}-ls`])).trim().split("\n").sort();
      assert.deepEqual(byDriver, [idA, idB].sort());
      const none = await ok(["network", "ls", "--filter", "driver=null", "--filter", `name=${d.prefix}-ls`]);
      assert.match(none, /^NETWORK ID {3}NAME {6}DRIVER {4}SCOPE\n$/, "header only");
    } finally {
      await ok(["network", "rm", a, b]);
    }
  });
});

describe("cnm network rm / prune", () => {
  it("rm prints each name; unknown names fail with the daemon's message and exit 1, the others still go", async () => {
    const a = `${d.prefix}-rm1`;
    await ok(["network", "create", a]);
    const r = await d.cnm(["network", "rm", "nope-net", a]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${a}\n`);
    assert.match(r.stderr, /^cnm: .*nope-net.*\n$/);
    assert.equal((await d.cnm(["network", "inspect", a])).code, 1, "removed");
    const forced = await d.cnm(["network", "rm", "-f", "nope-net"]);
    assert.deepEqual([forced.code, forced.stdout, forced.stderr], [0, "", ""], "-f: a missing network is not an error");
  });

  it("prune asks first: no -> nothing removed, exit 1; -f removes unused networks and lists them", async () => {
    const unused = `${d.prefix}-pr1`;
    const used = `${d.prefix}-pr2`;
    const sb = `${d.prefix}-prsb`;
    await ok(["network", "create", unused]);
    await ok(["network", "create", used]);
    await ok(["sandbox", "create", sb]);
    await ok(["network", "connect", used, sb]);
    try {
      const declined = await d.cnm(["network", "prune"], { input: "n\n" });
      assert.equal(declined.code, 1);
      assert.match(declined.stdout, /Are you sure you want to continue\? \[y\/N\]/);
      assert.equal(declined.stderr, "cnm: network prune has been cancelled\n");
      assert.equal((await d.cnm(["network", "inspect", unused])).code, 0, "still there");

      const eof = await d.cnm(["network", "prune"]);
      assert.equal(eof.code, 1, "no answer (stdin closed) is no");

      const yes = await d.cnm(["network", "prune"], { input: "y\n" });
      assert.equal(yes.code, 0, yes.stderr);
      assert.match(yes.stdout, new RegExp(`Deleted Networks:\\n(.*\\n)*${unused}\\n`));
      assert.doesNotMatch(yes.stdout, new RegExp(used));
      assert.equal((await d.cnm(["network", "inspect", unused])).code, 1, "pruned");

      await ok(["network", "disconnect", used, sb]);
      const forced = await ok(["network", "prune", "-f"]);
      assert.match(forced, new RegExp(`^Deleted Networks:\\n(.*\\n)*${used}\\n`));
      assert.doesNotMatch(forced, /Are you sure/);
    } finally {
      await d.cnm(["sandbox", "rm", sb]);
      await d.cnm(["network", "rm", used, unused]);
    }
  });
});

describe("cnm network connect / disconnect", () => {
  it("--ip and --alias reach the endpoint; disconnect removes it; errors are the daemon's", async () => {
    const p = net24();
    const name = `${d.prefix}-cn`;
    const sb = `${d.prefix}-cnsb`;
    await ok(["network", "create", "--subnet", `${p}.0/24`, name]);
    const sbId = (await ok(["sandbox", "create", sb])).trim();
    try {
      assert.equal(await ok(["network", "connect", "--ip", `${p}.77`, "--alias", "db", "--alias", "db2", name, sb]), "");
      const n = await inspectJson(name);
      const member = n.Containers[sbId];
      assert.ok(member, JSON.stringify(n.Containers));
      assert.equal(member.Name, sb);
      assert.equal(member.IPv4Address, `${p}.77/24`);
      const sbJson = JSON.parse(await ok(["sandbox", "inspect", "--format", "json", sb])) as { Networks: Record<string, { IPAddress: string; Aliases?: string[] }> }[];
      assert.equal(sbJson[0]!.Networks[name]!.IPAddress, `${p}.77`);

      const readable = await ok(["network", "inspect", name]);
      assert.match(readable, new RegExp(`^  ${sb} +${sbId.slice(0, 12)} +[0-9a-f]{12} +${p}\\.77/24`, "m"));

      const again = await d.cnm(["network", "connect", name, sb]);
      assert.equal(again.code, 1, "connecting twice is refused");
      assert.match(again.stderr, /^cnm: .+\n$/);

      assert.equal(await ok(["network", "disconnect", name, sb]), "");
      assert.deepEqual((await inspectJson(name)).Containers, {});
      const notConnected = await d.cnm(["network", "disconnect", name, sb]);
      assert.equal(notConnected.code, 1);

      const unknown = await d.cnm(["network", "connect", "no-such-net", sb]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /^cnm: .*no-such-net.*\n$/);

      const badIp = await d.cnm(["network", "connect", "--ip", "fd00::1", name, sb]);
      assert.equal(badIp.code, 2);
      assert.match(badIp.stderr, /^cnm: invalid IPv4 address for --ip: fd00::1\nUsage:  cnm network connect \[OPTIONS\] NETWORK SANDBOX\n/);
    } finally {
      await d.cnm(["sandbox", "rm", sb]);
      await d.cnm(["network", "rm", name]);
    }
  });
});

describe("errors and exit codes", () => {
  it("API errors: one line 'cnm: <message>' and exit 1", async () => {
    const name = `${d.prefix}-dup`;
    await ok(["network", "create", name]);
    try {
      const dup = await d.cnm(["network", "create", name]);
      assert.equal(dup.code, 1);
      assert.equal(dup.stdout, "");
      assert.match(dup.stderr, new RegExp(`^cnm: .*${name}.*\\n$`));
      const missing = await d.cnm(["network", "inspect", "no-such-network"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^cnm: .*no-such-network.*\n$/);
      const badDriver = await d.cnm(["network", "create", "-d", "warpdrive", `${d.prefix}-bad`]);
      assert.equal(badDriver.code, 1);
      assert.match(badDriver.stderr, /^cnm: .*warpdrive.*\n$/);
    } finally {
      await ok(["network", "rm", name]);
    }
  });

  it("cnm cluster on a single host: the daemon says how to join a cluster, exit 1; an overlay is refused", async () => {
    for (const args of [["cluster", "members"], ["cluster", "networks"], ["cluster", "table", "bridge", "overlay_peer_table"]]) {
      const r = await d.cnm(args);
      assert.equal(r.code, 1, `cnm ${args.join(" ")}`);
      assert.match(r.stderr, /^cnm: this cnmd is not in a cluster: start it with --cluster-store and --advertise-addr\n$/);
    }
    const overlay = await d.cnm(["network", "create", "-d", "overlay", `${d.prefix}-ov`]);
    assert.equal(overlay.code, 1);
    assert.match(overlay.stderr, /^cnm: overlay networks need this node in a cluster/);
  });

  it("usage errors: message, usage line, exit 2, and nothing sent to the daemon", async () => {
    const cases: [string[], RegExp][] = [
      [["network", "create", "--bogus", "x"], /^cnm: unknown flag: --bogus\nUsage:  cnm network create \[OPTIONS\] NETWORK\nRun 'cnm network create --help' for more information\n$/],
      [["network", "create"], /^cnm: "cnm network create" requires exactly 1 argument, got 0\nUsage:  cnm network create/],
      [["network", "create", "--gateway", "10.1.1.1", "x"], /^cnm: every ip-range or gateway must have a corresponding subnet\n/],
      [["network", "create", "--subnet", "10.1.1.0/99", "x"], /^cnm: invalid CIDR address for --subnet: 10.1.1.0\/99\n/],
      [["network", "ls", "extra"], /^cnm: "cnm network ls" accepts no arguments\n/],
      [["network", "ls", "--format", "yaml"], /^cnm: unknown --format "yaml": use "table" or "json"\n/],
      [["network", "ls", "--filter", "oops"], /^cnm: bad format of filter \(expected name=value\): oops\n/],
      [["network", "frobnicate"], /^cnm: unknown command "cnm network frobnicate"; see 'cnm --help'\n$/],
      [["sandbox", "create", "-p", "99999:80", "x"], /^cnm: invalid publish spec "99999:80": invalid port "99999"\nUsage:  cnm sandbox create/],
      [["sandbox", "exec", "x"], /^cnm: "cnm sandbox exec" requires at least 2 arguments, got 1\n/],
      [["--host", "tcp://1.2.3.4:2375", "network", "ls"], /^cnm: invalid host "tcp:\/\/1.2.3.4:2375": expected unix:\/\/\/path\/to\/socket\n/],
    ];
    for (const [args, re] of cases) {
      const r = await d.cnm(args);
      assert.equal(r.code, 2, `exit code of ${args.join(" ")}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, re);
    }
    assert.deepEqual((await ok(["network", "ls", "-q", "--filter", "name=x"])).trim(), "", "nothing created");
  });

  it("a daemon that is not running: one clear line, exit 1", async () => {
    const r = await runCnm(["network", "ls"], `unix:///run/cnm-test/${d.prefix}/absent.sock`);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `cnm: cannot connect to the cnm daemon at unix:///run/cnm-test/${d.prefix}/absent.sock: is cnmd running?\n`);
    const viaFlag = await runCnm(["--host", `unix:///run/cnm-test/${d.prefix}/absent.sock`, "sandbox", "ls"], d.host);
    assert.equal(viaFlag.code, 1, "--host wins over CNM_HOST");
    assert.match(viaFlag.stderr, /absent\.sock: is cnmd running\?/);
    const good = await runCnm(["-H", d.host, "network", "ls", "-q"], null);
    assert.equal(good.code, 0, "-H with no CNM_HOST reaches the daemon");
    const bare = await runCnm([`--host=${d.socketPath}`, "sandbox", "ls", "-q"], null);
    assert.equal(bare.code, 0, "a bare socket path is accepted too");
  });

  it("--help per command and per group, exit 0 without a daemon", async () => {
    const r = await runCnm(["network", "connect", "--help"], null);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage:  cnm network connect \[OPTIONS\] NETWORK SANDBOX\n\nConnect a sandbox to a network\n/);
    assert.match(r.stdout, /--ip string/);
    assert.match(r.stdout, /--alias string .*\(repeatable\)/);
    const group = await runCnm(["sandbox"], null);
    assert.equal(group.code, 0);
    for (const sub of ["create", "ls", "inspect", "rm", "exec"]) assert.match(group.stdout, new RegExp(`^  ${sub} `, "m"));
    const top = await runCnm(["--help"], null);
    assert.match(top.stdout, /^Usage:  cnm \[OPTIONS\] COMMAND/);
  });
});
