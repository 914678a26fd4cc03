import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { findPlugin, PluginCallError, PluginClient, PluginUnavailableError, Plugins } from "../../src/plugins/index.js";
import { remoteDriverApi } from "../../src/drivers/remote/index.js";
import { remoteIpamApi } from "../../src/ipam/remote/index.js";
import { RouteType } from "../../src/driverapi/index.js";

/** Discovery, the client's error and retry rules, and the JSON translation, against a plugin on a temporary socket. */
describe("plugin discovery, client and wire shapes", () => {
  const dir = mkdtempSync(join(tmpdir(), "cnm-plugins-"));
  let server: Server;
  let resets = 0;

  before(async () => {
    server = createServer((req, res) => {
      const route: Record<string, [number, string]> = {
        "/Plugin.Activate": [200, JSON.stringify({ Implements: ["NetworkDriver"] })],
        "/Fails": [500, JSON.stringify({ Err: "no bridge for you" })],
        "/ErrIn200": [200, JSON.stringify({ Err: "refused politely" })],
        "/PlainText": [400, "bad thing"],
        "/NotJson": [200, "<html>"],
      };
      if (req.url === "/Hangs") return; // never answers
      if (req.url === "/Resets") {
        resets++;
        req.socket.destroy(); // dies mid-call
        return;
      }
      const [status, body] = route[req.url ?? ""] ?? [404, "404 page not found\n"];
      res.writeHead(status).end(body);
    });
    await new Promise<void>((r) => server.listen(join(dir, "good.sock"), r));
    mkdirSync(join(dir, "nested"));
    writeFileSync(join(dir, "spec1.spec"), "tcp://127.0.0.1:9\n");
    writeFileSync(join(dir, "j1.json"), JSON.stringify({ Name: "j1", Addr: "unix:///run/x.sock", TLSConfig: { InsecureSkipVerify: false, CAFile: "" } }));
    writeFileSync(join(dir, "tls.json"), JSON.stringify({ Name: "tls", Addr: "tcp://127.0.0.1:9", TLSConfig: { CAFile: "/ca.pem" } }));
    writeFileSync(join(dir, "noscheme.spec"), "/run/x.sock");
  });

  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds sockets, .spec and .json files as Docker does, and refuses what it cannot speak", () => {
    assert.equal(findPlugin("good", [dir]).addr, `unix://${join(dir, "good.sock")}`);
    assert.equal(findPlugin("spec1", ["/nonexistent", dir]).addr, "tcp://127.0.0.1:9");
    assert.equal(findPlugin("j1", [dir]).addr, "unix:///run/x.sock");
    assert.throws(() => findPlugin("tls", [dir]), /TLS/);
    assert.throws(() => findPlugin("noscheme", [dir]), /unknown protocol|not a URL/);
    assert.throws(() => findPlugin("absent", [dir]), (e: Error & { status?: number }) => e.status === 404 && /plugin "absent" not found/.test(e.message));
    assert.throws(() => findPlugin("../etc", [dir]), /not found/);
  });

  it("turns a plugin's errors into errors naming plugin and call, as Docker's client does", async () => {
    const c = new PluginClient("good", `unix://${join(dir, "good.sock")}`, { callTimeoutMs: 300 });
    assert.deepEqual(await c.call("Plugin.Activate"), { Implements: ["NetworkDriver"] });
    await assert.rejects(c.call("Fails", {}), (e: unknown) => e instanceof PluginCallError && e.message === 'plugin "good": Fails: no bridge for you' && e.httpStatus === 500);
    await assert.rejects(c.call("ErrIn200"), /plugin "good": ErrIn200: refused politely/);
    await assert.rejects(c.call("PlainText"), /plugin "good": PlainText: bad thing/);
    await assert.rejects(c.call("Unknown"), (e: unknown) => e instanceof PluginCallError && e.isNotImplemented());
    await assert.rejects(c.call("NotJson"), (e: unknown) => e instanceof PluginUnavailableError && /not JSON/.test((e as Error).message));
    const t0 = Date.now();
    await assert.rejects(c.call("Hangs"), /plugin "good": Hangs: no answer within 300 ms/);
    assert.ok(Date.now() - t0 < 1000);
  });

  it("retries a plugin that cannot be reached with Docker's doubling backoff, within the budget", async () => {
    const c = new PluginClient("gone", `unix://${join(dir, "gone.sock")}`, { retryTimeoutMs: 700, retryBackoffMs: 100 });
    const t0 = Date.now();
    await assert.rejects(c.call("NetworkDriver.Join", {}), /plugin "gone": NetworkDriver\.Join: socket .* is gone/);
    const took = Date.now() - t0;
    // Waits 100 + 200 ms; the next (400 ms) would pass 700 ms: give up.
    assert.ok(took >= 290 && took < 700, `took ${took} ms`);
  });

  it("does not retry a call the plugin received (a reset mid-call): it may have acted on it", async () => {
    const c = new PluginClient("good", `unix://${join(dir, "good.sock")}`, { retryTimeoutMs: 5000, retryBackoffMs: 100 });
    const before = resets;
    await assert.rejects(c.call("Resets", {}), (e: unknown) => e instanceof PluginUnavailableError && /closed before an answer/.test((e as Error).message));
    assert.equal(resets - before, 1);
  });

  it("activates a plugin once and checks what it implements", async () => {
    const plugins = new Plugins({ dirs: [dir] });
    const [a, b] = await Promise.all([plugins.get("good", "NetworkDriver"), plugins.get("good", "NetworkDriver")]);
    assert.equal(a, b);
    await assert.rejects(plugins.get("good", "IpamDriver"), /does not implement IpamDriver/);
  });

  it("translates the driver contract into Docker's JSON and back", () => {
    assert.deepEqual(remoteDriverApi.createNetworkOptions({ name: "n", enableIPv6: true, internal: true, attachable: false, driverOpts: { a: "1" }, labels: {} }), {
      "com.docker.network.generic": { a: "1" },
      "com.docker.network.enable_ipv6": true,
      "com.docker.network.internal": true,
    });
    assert.deepEqual(remoteDriverApi.ipamDataJson([{ addressSpace: "S", pool: "10.0.0.0/24", gateway: "10.0.0.1/24", auxAddresses: {} }]), [
      { AddressSpace: "S", Pool: "10.0.0.0/24", Gateway: "10.0.0.1/24" },
    ]);
    assert.deepEqual(remoteDriverApi.endpointOptions({ driverOpts: { k: "v" }, portBindings: [{ proto: "tcp", containerPort: 80, hostPort: 8080 }] }, "10.0.0.2/24"), {
      k: "v",
      "com.docker.network.portmap": [{ Proto: 6, IP: "10.0.0.2", Port: 80, HostIP: "", HostPort: 8080, HostPortEnd: 8080 }],
      "com.docker.network.endpoint.exposedports": [{ Proto: 6, Port: 80 }],
    });
    assert.deepEqual(remoteDriverApi.parseCapability({ Scope: "global", ConnectivityScope: "" }), { dataScope: "global" });
    assert.throws(() => remoteDriverApi.parseCapability({ Scope: "swarm" }), /expecting 'local' or 'global'/);
    const join = remoteDriverApi.parseJoin({
      InterfaceName: { SrcName: "veth1", DstPrefix: "eth" },
      Gateway: "10.0.0.1",
      StaticRoutes: [{ Destination: "10.9.0.0/16", RouteType: 1 }],
      DisableGatewayService: true,
    });
    assert.deepEqual(join, {
      names: { srcName: "veth1", dstPrefix: "eth" },
      gateway: "10.0.0.1",
      staticRoutes: [{ destination: "10.9.0.0/16", routeType: RouteType.Connected }],
      disableGatewayService: true,
    });
    assert.throws(() => remoteDriverApi.parseJoin({ Gateway: "10.0.0.300" }), /unable to parse Gateway/);
    assert.deepEqual(remoteDriverApi.parseInterface({ Address: "", MacAddress: "02:42:AC:11:00:02" }), { mac: "02:42:ac:11:00:02" });
  });

  it("translates the IPAM contract into Docker's JSON and back", () => {
    assert.deepEqual(remoteIpamApi.requestPoolJson({ addressSpace: "A", v6: false }), { AddressSpace: "A", Pool: "", SubPool: "", Options: {}, V6: false });
    assert.deepEqual(remoteIpamApi.requestAddressJson("p", "10.0.0.5/24", undefined), { PoolID: "p", Address: "10.0.0.5", Options: {} });
    assert.deepEqual(remoteIpamApi.parsePool({ PoolID: "p", Pool: "10.0.0.7/24", Data: { "com.docker.network.gateway": "10.0.0.1/24" } }), {
      poolId: "p",
      pool: "10.0.0.0/24",
      meta: { "com.docker.network.gateway": "10.0.0.1/24" },
    });
    assert.throws(() => remoteIpamApi.parseAddress({ Address: "" }), /No address returned/);
    assert.deepEqual(remoteIpamApi.parseCapability({ RequiresMACAddress: true }), { requiresMACAddress: true, requiresRequestReplay: false });
  });
});
