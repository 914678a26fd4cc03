import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { request } from "node:http";
import { createSocket } from "node:dgram";
import { startTestDaemon, type TestDaemon } from "../cli/daemon-fixture.js";

/**
 * The embedded DNS through a real controller, API and CLI: sandboxes on a
 * user network find each other by name and alias with a real resolver
 * client (dig, getent) inside their namespaces, as containers do in Docker.
 */
describe("embedded DNS in sandboxes (single host)", () => {
  let d: TestDaemon;
  const net = () => `${d.prefix}-app`;
  const ip: Record<string, string> = {};
  const ip6: Record<string, string> = {};

  const cnm = async (args: string[]): Promise<string> => {
    const r = await d.cnm(args, { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `cnm ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  /** dig inside the sandbox, asking its embedded DNS; the answer section's data, one per line. */
  const dig = async (sandbox: string, ...query: string[]): Promise<string[]> => {
    const out = await cnm(["sandbox", "exec", sandbox, "--", "dig", "@127.0.0.11", "+short", "+tries=1", "+time=4", ...query]);
    return out.split("\n").filter((l) => l !== "" && !l.startsWith(";"));
  };
  const digStatus = async (sandbox: string, ...query: string[]): Promise<string> => {
    const out = await cnm(["sandbox", "exec", sandbox, "--", "dig", "@127.0.0.11", "+tries=1", "+time=4", ...query]);
    return /status: (\w+)/.exec(out)?.[1] ?? `no status in: ${out}`;
  };
  const inspect = async (sandbox: string): Promise<{ Networks: Record<string, { IPAddress: string; GlobalIPv6Address: string }> }> =>
    (JSON.parse(await cnm(["sandbox", "inspect", sandbox, "--format", "json"])) as [{ Networks: Record<string, { IPAddress: string; GlobalIPv6Address: string }> }])[0];

  before(async () => {
    d = await startTestDaemon();
    await cnm(["network", "create", "--ipv6", "--subnet", "10.231.0.0/24", "--subnet", "fd00:231::/64", net()]);
    // 127.0.0.1:53 answers nothing here: names cnm does not know fail fast instead of leaving the test's namespaces.
    for (const name of ["web", "web2", "client"]) await cnm(["sandbox", "create", "--dns", "127.0.0.1", name]);
    await cnm(["network", "connect", "--alias", "api", "--alias", "Www", net(), "web"]);
    await cnm(["network", "connect", "--alias", "api", net(), "web2"]);
    await cnm(["network", "connect", net(), "client"]);
    for (const name of ["web", "web2", "client"]) {
      const n = (await inspect(name)).Networks[net()]!;
      ip[name] = n.IPAddress;
      ip6[name] = n.GlobalIPv6Address;
    }
  });
  after(async () => {
    await d?.stop();
  });

  it("points the sandbox's resolv.conf at 127.0.0.11 and runs the resolver there", async () => {
    const conf = await cnm(["sandbox", "exec", "client", "--", "cat", "/etc/resolv.conf"]);
    assert.match(conf, /^nameserver 127\.0\.0\.11$/m);
    assert.doesNotMatch(conf, /^nameserver (?!127\.0\.0\.11)/m, "only the embedded DNS is listed");
    assert.match(conf, /^options ndots:0$/m);
    assert.match(conf, /ExtServers: \[host\(127\.0\.0\.1\)\]/);
  });

  it("resolves sandbox names, aliases and name.network to A and AAAA records", async () => {
    assert.deepEqual(await dig("client", "web"), [ip.web]);
    assert.deepEqual(await dig("client", "WEB"), [ip.web], "names are case-insensitive");
    assert.deepEqual(await dig("client", "www"), [ip.web], "an alias given in capitals");
    assert.deepEqual(await dig("client", `web.${net()}`), [ip.web]);
    assert.deepEqual(await dig("client", "web", "AAAA"), [ip6.web]);
    assert.deepEqual(await dig("web", "client"), [ip.client], "every sandbox on the network has the resolver");
    // As Docker adds a container's short id to its DNS names.
    const webId = d.controller.sandbox("web").sandbox.id.slice(0, 12);
    assert.deepEqual(await dig("client", webId), [ip.web]);
    const [view] = JSON.parse(await cnm(["sandbox", "inspect", "web", "--format", "json"])) as [{ Networks: Record<string, { DNSNames: string[] }> }];
    assert.deepEqual(view.Networks[net()]!.DNSNames, ["web", "api", "Www", webId]);
  });

  it("answers an alias two sandboxes share with both, in rotating order", async () => {
    const firsts = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const answer = await dig("client", "api");
      assert.deepEqual([...answer].sort(), [ip.web, ip.web2].sort());
      firsts.add(answer[0]!);
    }
    assert.equal(firsts.size, 2, "each address comes first in turn");
  });

  it("answers PTR queries with name.network", async () => {
    assert.deepEqual(await dig("client", "-x", ip.web!), [`web.${net()}.`]);
    assert.deepEqual(await dig("client", "-x", ip6.web2!), [`web2.${net()}.`]);
  });

  it("serves getent through `cnm sandbox exec` (the sandbox's resolv.conf in place)", async () => {
    const out = await cnm(["sandbox", "exec", "client", "--", "getent", "hosts", "web"]);
    assert.match(out, new RegExp(`^(${ip.web!.replace(/\./g, "\\.")}|${ip6.web!})\\s+web`, "m"));
    const v4 = await cnm(["sandbox", "exec", "client", "--", "getent", "ahostsv4", "api"]);
    for (const a of [ip.web!, ip.web2!]) assert.ok(v4.includes(a), `getent ahostsv4 api lists ${a}: ${v4}`);
  });

  it("forgets a name when its endpoint leaves, and learns it again on connect", async () => {
    await cnm(["network", "disconnect", net(), "web2"]);
    assert.deepEqual(await dig("client", "web2"), []);
    assert.deepEqual(await dig("client", "api"), [ip.web], "the shared alias keeps the other sandbox");
    await cnm(["network", "connect", "--alias", "api", net(), "web2"]);
    const again = (await inspect("web2")).Networks[net()]!.IPAddress;
    assert.deepEqual(await dig("client", "web2"), [again]);
  });

  it("keeps names per network: a sandbox on another network is not found", async () => {
    await cnm(["network", "create", "--subnet", "10.232.0.0/24", `${d.prefix}-other`]);
    await cnm(["sandbox", "create", "--dns", "127.0.0.1", "loner"]);
    await cnm(["network", "connect", `${d.prefix}-other`, "loner"]);
    assert.deepEqual(await dig("client", "loner"), []);
    assert.deepEqual(await dig("loner", "web"), []);
    assert.notEqual(await digStatus("client", "loner"), "NOERROR");
  });

  it("forwards other names to the sandbox's --dns servers, but not for a sandbox on internal networks only (as Docker)", async () => {
    // A stand-in for the host's resolver on a loopback address of its own: every A query gets 192.0.2.77.
    const upstream = createSocket("udp4");
    let asked = 0;
    upstream.on("message", (query, from) => {
      asked++;
      let end = 12;
      while (end < query.length && query[end] !== 0) end += query[end]! + 1;
      end += 5;
      const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 77]);
      const reply = Buffer.concat([query.subarray(0, end), answer]);
      reply[2] = 0x81;
      reply[3] = 0x80;
      reply.writeUInt16BE(1, 6);
      reply.writeUInt16BE(0, 8);
      reply.writeUInt16BE(0, 10);
      upstream.send(reply, from.port, from.address);
    });
    await new Promise<void>((resolve) => upstream.bind(53, "127.0.0.77", resolve));
    try {
      await cnm(["network", "create", "--internal", "--subnet", "10.233.0.0/24", `${d.prefix}-int`]);
      for (const [name, network] of [["outside", net()], ["inside", `${d.prefix}-int`]] as const) {
        await cnm(["sandbox", "create", "--dns", "127.0.0.77", name]);
        await cnm(["network", "connect", network, name]);
      }
      assert.deepEqual(await dig("outside", "example.org"), ["192.0.2.77"], "forwarded to the host's loopback resolver from the host");
      const before = asked;
      assert.equal(await digStatus("inside", "example.org"), "SERVFAIL");
      assert.equal(asked, before, "nothing was forwarded for the sandbox without a way out");
      assert.deepEqual(await dig("inside", "inside"), [(await inspect("inside")).Networks[`${d.prefix}-int`]!.IPAddress], "its own network's names still resolve");
    } finally {
      upstream.close();
    }
  });

  it("joins the default bridge network when the API creates a sandbox without NetworkMode, without the embedded DNS", async () => {
    await d.controller.createNetwork({
      name: "bridge",
      options: { "com.docker.network.bridge.name": `${d.prefix}0`, "com.docker.network.bridge.default_bridge": "true" },
    });
    for (const [name, mode] of [["plain", undefined], ["bridged", "bridge"]] as const) {
      const created = await post(d.socketPath, "/sandboxes/create", { Name: name, ...(mode ? { NetworkMode: mode } : {}) });
      assert.equal(created.status, 201, created.text);
      const view = await inspect(name);
      assert.deepEqual(Object.keys(view.Networks), ["bridge"]);
      assert.match(view.Networks.bridge!.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
      const conf = readFileSync(d.controller.sandbox(name).resolvConfPath, "utf8");
      assert.doesNotMatch(conf, /127\.0\.0\.11/, "the default bridge keeps plain nameservers, as in Docker");
    }
    const none = await post(d.socketPath, "/sandboxes/create", { Name: "empty", NetworkMode: "none" });
    assert.equal(none.status, 201);
    assert.deepEqual(Object.keys((await inspect("empty")).Networks), []);
  });
});

function post(socketPath: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: "POST", path, headers: { "content-type": "application/json", "content-length": String(payload.length) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}
