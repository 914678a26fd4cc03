// `cnm sandbox ...` end to end, including `sandbox exec` running real
// programs (ip, ping, sh, cat) in the sandbox's namespace.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { lingeringLinks, namespacesWithPrefix, startTestDaemon, type TestDaemon } from "./daemon-fixture.js";

interface SandboxJson {
  Id: string;
  Name: string;
  Key: string;
  NetworkMode: string;
  Hostname: string;
  HostsPath: string;
  ResolvConfPath: string;
  Dns: string[];
  ExtraHosts: string[];
  PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
  Networks: Record<string, { IPAddress: string; IPPrefixLen: number; Gateway: string; EndpointID: string }>;
  Ports: Record<string, { HostIp: string; HostPort: string }[] | null>;
}

let d: TestDaemon;

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

async function ok(args: string[]): Promise<string> {
  const r = await d.cnm(args);
  assert.equal(r.stderr, "", `stderr of cnm ${args.join(" ")}`);
  assert.equal(r.code, 0, `exit code of cnm ${args.join(" ")}`);
  return r.stdout;
}

async function inspect(name: string): Promise<SandboxJson> {
  return (JSON.parse(await ok(["sandbox", "inspect", "--format", "json", name])) as SandboxJson[])[0]!;
}

describe("cnm sandbox create / inspect / ls / rm", () => {
  it("passes hostname, dns, add-host and publish through, and shows them", async () => {
    const name = `${d.prefix}-web`;
    const hostPort = randomInt(20000, 30000);
    const id = (await ok([
      "sandbox", "create", "--hostname", "webhost", "--dns", "192.0.2.53", "--add-host", "db:192.0.2.10", "--add-host", "db6:fd00::10",
      "-p", `127.0.0.1:${hostPort}:80`, "--publish", `${hostPort + 1}:53/udp`, name,
    ])).trim();
    try {
      assert.match(id, /^[0-9a-f]{64}$/);
      const sb = await inspect(name);
      assert.equal(sb.Id, id);
      assert.equal(sb.Hostname, "webhost");
      assert.deepEqual(sb.Dns, ["192.0.2.53"]);
      assert.deepEqual(sb.ExtraHosts, ["db:192.0.2.10", "db6:fd00::10"]);
      assert.deepEqual(sb.PortBindings, {
        "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }],
        "53/udp": [{ HostIp: "", HostPort: String(hostPort + 1) }],
      });
      assert.ok(existsSync(sb.Key), "namespace path exists");
      assert.match(readFileSync(sb.HostsPath, "utf8"), /^192\.0\.2\.10\s+db$/m);
      assert.match(readFileSync(sb.ResolvConfPath, "utf8"), /^nameserver 192\.0\.2\.53$/m);

      const readable = await ok(["sandbox", "inspect", name]);
      assert.match(readable, new RegExp(`^Name: +${name}$`, "m"));
      assert.match(readable, new RegExp(`^Key: +${sb.Key}$`, "m"));
      assert.match(readable, /^Networks: none$/m);

      const table = (await ok(["sandbox", "ls"])).trimEnd().split("\n");
      assert.match(table[0]!, /^SANDBOX ID     NAME +NETWORKS +PORTS$/);
      assert.ok(table.some((l) => l.startsWith(`${id.slice(0, 12)}   ${name} `)), table.join("\n"));
      assert.deepEqual((await ok(["sandbox", "ls", "-q", "--no-trunc"])).trim().split("\n"), [id]);
      const json = (await ok(["sandbox", "ls", "--format", "json"])).trim().split("\n").map((l) => JSON.parse(l) as SandboxJson);
      assert.deepEqual(json.map((s) => s.Name), [name]);
    } finally {
      assert.equal(await ok(["sandbox", "rm", name]), `${name}\n`);
    }
    assert.equal((await d.cnm(["sandbox", "inspect", name])).code, 1, "removed");
  });

  it("--network NAME connects at creation; ls shows networks and bound ports", async () => {
    const net = `${d.prefix}-sn`;
    const name = `${d.prefix}-sb1`;
    const hostPort = randomInt(30000, 40000);
    await ok(["network", "create", net]);
    try {
      await ok(["sandbox", "create", "--network", net, "-p", `${hostPort}:8080`, name]);
      const sb = await inspect(name);
      assert.ok(sb.Networks[net]?.IPAddress, JSON.stringify(sb.Networks));
      assert.deepEqual(sb.Ports["8080/tcp"]?.map((b) => b.HostPort), [String(hostPort)]);
      const row = (await ok(["sandbox", "ls"])).split("\n").find((l) => l.includes(` ${name} `))!;
      assert.match(row, new RegExp(` ${net} +0\\.0\\.0\\.0:${hostPort}->8080/tcp$`));
      const readable = await ok(["sandbox", "inspect", name]);
      assert.match(readable, new RegExp(`^  ${net} +[0-9a-f]{12} +${sb.Networks[net]!.IPAddress.replace(/\./g, "\\.")}/${sb.Networks[net]!.IPPrefixLen} +${sb.Networks[net]!.Gateway}`, "m"));

      const bad = await d.cnm(["sandbox", "create", "--network", "no-such-net", `${d.prefix}-sb2`]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^cnm: .*no-such-net.*\n$/);
      assert.equal((await d.cnm(["sandbox", "inspect", `${d.prefix}-sb2`])).code, 1, "the half-made sandbox is removed");
    } finally {
      await d.cnm(["sandbox", "rm", name]);
      await d.cnm(["network", "rm", net]);
    }
  });

  it("--network host shares the host's namespace; --network none has no networks", async () => {
    const h = `${d.prefix}-host`;
    const n = `${d.prefix}-none`;
    await ok(["sandbox", "create", "--network", "host", h]);
    await ok(["sandbox", "create", "--network", "none", n]);
    try {
      assert.equal((await inspect(h)).NetworkMode, "host");
      assert.deepEqual((await inspect(n)).Networks, {});
      // /proc/net/dev, not a netlink dump: other tests add and remove links on the host
      // meanwhile, and `ip link` then warns on stderr that its dump was interrupted.
      const names = (text: string) => text.split("\n").slice(2).map((l) => l.split(":")[0]!.trim()).filter(Boolean).sort();
      const hostLinks = names(execFileSync("cat", ["/proc/net/dev"], { encoding: "utf8" }));
      const inside = names(await ok(["sandbox", "exec", h, "cat", "/proc/net/dev"]));
      assert.ok(hostLinks.filter((l) => l !== "lo").some((l) => inside.includes(l)), "the host sandbox sees the host's links");
      const none = (await ok(["sandbox", "exec", n, "ip", "-br", "link"])).trim().split("\n");
      assert.deepEqual(none.map((l) => l.split(/\s/)[0]), ["lo"]);
    } finally {
      await d.cnm(["sandbox", "rm", h, n]);
    }
  });

  it("rm of several: unknown ones fail with exit 1, the rest are removed and their namespaces gone", async () => {
    const a = `${d.prefix}-rma`;
    await ok(["sandbox", "create", a]);
    const key = (await inspect(a)).Key;
    const r = await d.cnm(["sandbox", "rm", a, "no-such-sandbox"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${a}\n`);
    assert.match(r.stderr, /^cnm: .*no-such-sandbox.*\n$/);
    assert.equal(existsSync(key), false);
  });
});

describe("cnm sandbox exec", () => {
  const net = () => `${d.prefix}-ex`;
  const a = () => `${d.prefix}-exa`;
  const b = () => `${d.prefix}-exb`;
  let subnet: string;

  before(async () => {
    subnet = `10.${randomInt(100, 250)}.${randomInt(0, 255)}`;
    await ok(["network", "create", "--subnet", `${subnet}.0/24`, net()]);
    await ok(["sandbox", "create", "--network", net(), a()]);
    await ok(["sandbox", "create", "--network", net(), b()]);
  });

  after(async () => {
    await d.cnm(["sandbox", "rm", a(), b()]);
    await d.cnm(["network", "rm", net()]);
  });

  it("runs ip addr inside: the sandbox's address on eth0, not the host's interfaces", async () => {
    const ip = (await inspect(a())).Networks[net()]!.IPAddress;
    const out = await ok(["sandbox", "exec", a(), "--", "ip", "-4", "-o", "addr"]);
    assert.match(out, new RegExp(`^\\d+: eth0\\s+inet ${ip.replace(/\./g, "\\.")}/24 `, "m"));
    const names = out.trim().split("\n").map((l) => l.split(/\s+/)[1]).sort();
    assert.deepEqual(names, ["eth0", "lo"]);
    // Flags after the sandbox name belong to the command, without "--" too.
    assert.match(await ok(["sandbox", "exec", a(), "ip", "-br", "addr", "show", "eth0"]), new RegExp(`^eth0@\\S+ +UP +${ip.replace(/\./g, "\\.")}/24`));
  });

  it("ping reaches the other sandbox and the gateway", async () => {
    const ipB = (await inspect(b())).Networks[net()]!.IPAddress;
    const out = await ok(["sandbox", "exec", a(), "--", "ping", "-c", "2", "-W", "2", ipB]);
    assert.match(out, /2 packets transmitted, 2 received, 0% packet loss/);
    assert.match(await ok(["sandbox", "exec", b(), "--", "ping", "-c", "1", "-W", "2", `${subnet}.1`]), /1 received/);
  });

  it("exits with the command's exit code; stdin, stdout and stderr are the command's", async () => {
    const seven = await d.cnm(["sandbox", "exec", a(), "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    assert.equal(seven.code, 7);
    assert.equal(seven.stdout, "out\n");
    assert.equal(seven.stderr, "err\n");
    const cat = await d.cnm(["sandbox", "exec", a(), "--", "cat"], { input: "through stdin\n" });
    assert.equal(cat.code, 0);
    assert.equal(cat.stdout, "through stdin\n");
    // An address on the sandbox's own subnet that nobody holds: ARP fails, ping exits 1.
    const unreachable = await d.cnm(["sandbox", "exec", a(), "--", "ping", "-c", "1", "-W", "1", `${subnet}.200`]);
    assert.equal(unreachable.code, 1, "ping's own failure code");
    const killed = await d.cnm(["sandbox", "exec", a(), "--", "sh", "-c", "kill -KILL $$"]);
    assert.equal(killed.code, 137, "a signal death is 128 + signal, as a shell reports it");
  });

  it("the command sees the sandbox's hosts and resolv.conf; the host's stay as they are", async () => {
    const name = `${d.prefix}-exf`;
    const hostsBefore = readFileSync("/etc/hosts", "utf8");
    await ok([
      "sandbox", "create", "--hostname", "filehost", "--domainname", "example.test", "--add-host", "db.internal:192.0.2.44",
      "--dns", "192.0.2.53", "--dns-search", "corp.test", "--network", net(), name,
    ]);
    try {
      assert.match(await ok(["sandbox", "exec", name, "--", "cat", "/etc/resolv.conf"]), /^search corp\.test$/m);
      assert.match(await ok(["sandbox", "exec", name, "--", "getent", "hosts", "db.internal"]), /^192\.0\.2\.44\s+db\.internal$/m);
      // On a user network the sandbox asks the embedded DNS, which forwards to its --dns servers (as Docker writes it).
      const conf = await ok(["sandbox", "exec", name, "--", "cat", "/etc/resolv.conf"]);
      assert.match(conf, /^nameserver 127\.0\.0\.11$/m);
      assert.match(conf, /^# ExtServers: \[192\.0\.2\.53\]$/m);
      assert.match(await ok(["sandbox", "exec", name, "--", "cat", "/etc/hosts"]), /\sfilehost\b/);
    } finally {
      await d.cnm(["sandbox", "rm", name]);
    }
    assert.equal(readFileSync("/etc/hosts", "utf8"), hostsBefore);
    assert.equal((await d.cnm(["sandbox", "exec", a(), "--", "getent", "hosts", "db.internal"])).code, 2, "other sandboxes do not see it");
  });

  it("unknown sandbox: the daemon's message, exit 1, nothing run", async () => {
    const r = await d.cnm(["sandbox", "exec", "no-such-sandbox", "--", "sh", "-c", "echo ran"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^cnm: .*no-such-sandbox.*\n$/);
  });
});
