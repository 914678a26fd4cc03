import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { createLinuxController, type Controller } from "../../src/index.js";
import { canPing, inSandbox, leftoverLinks, plain, sweep, uniquePrefix } from "../integration/helpers.js";
import { PythonPlugin } from "./python-plugins.js";

/**
 * cnm drives network and IPAM plugins written in Python against Docker's
 * protocol: a real bridge and veth pairs made by the plugin, addresses from
 * the plugin's IPAM, two sandboxes that reach each other.
 */
describe("remote driver and remote IPAM with Python plugins", () => {
  const prefix = uniquePrefix();
  const dir = `/run/cnm-test/${prefix}-plugins`;
  let c: Controller;
  let net: PythonPlugin;
  let ipam: PythonPlugin;
  let slow: PythonPlugin;

  before(async () => {
    mkdirSync(dir, { recursive: true });
    net = new PythonPlugin(dir, "pynet", "network", prefix);
    ipam = new PythonPlugin(dir, "pyipam", "ipam", prefix, "", { PY_IPAM_POOL: "10.213.7.0/24" });
    slow = new PythonPlugin(dir, "pyslow", "network", prefix, "NetworkDriver.Join");
    await Promise.all([net.start(), ipam.start(), slow.start()]);
    c = await createLinuxController({
      prefix,
      runDir: `/run/cnm-test/${prefix}`,
      pluginDirs: [dir],
      pluginClient: { callTimeoutMs: 4000, retryTimeoutMs: 600, retryBackoffMs: 100 },
    });
  });

  after(async () => {
    try {
      await c?.destroyAll().catch(() => {});
      await c?.close();
    } finally {
      for (const p of [net, ipam, slow]) await p?.kill();
      sweep(prefix);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("creates a network of a plugin with a plugin's IPAM; two sandboxes reach each other", async () => {
    const rec = await c.createNetwork({ name: "pn", driver: "pynet", ipam: { driver: "pyipam" }, options: { "pytest.colour": "blue" } });
    assert.equal(rec.scope, "local");
    assert.equal(rec.ipv4[0]?.pool, "10.213.7.0/24");
    assert.equal(rec.ipv4[0]?.gateway, "10.213.7.1/24");
    const a = await c.createSandbox({ name: "a" });
    const b = await c.createSandbox({ name: "b" });
    const epA = (await c.connect("pn", "a")).endpoint;
    const epB = (await c.connect("pn", "b")).endpoint;
    assert.ok(await canPing(a.sandbox.key, plain(epB.address)), "a reaches b over the plugin's bridge");
    assert.ok(await canPing(b.sandbox.key, plain(epA.address)), "b reaches a");
    // Gateway and static route from Join's answer are in the sandbox.
    const routes = (await inSandbox(a.sandbox.key, ["ip", "route"])).stdout;
    assert.match(routes, /default via 10\.213\.7\.1 dev eth0/);
    assert.match(routes, /10\.99\.0\.0\/16 via 10\.213\.7\.1 dev eth0/);

    // What the network plugin received: Docker's shapes.
    const create = net.bodies("NetworkDriver.CreateNetwork")[0]!;
    assert.equal(create.NetworkID, rec.id);
    assert.deepEqual(create.Options, { "com.docker.network.generic": { "pytest.colour": "blue" }, "com.docker.network.enable_ipv6": false });
    assert.deepEqual(create.IPv4Data, [{ AddressSpace: "pyLocal", Pool: "10.213.7.0/24", Gateway: "10.213.7.1/24" }]);
    assert.deepEqual(create.IPv6Data, []);
    const [ce] = net.bodies("NetworkDriver.CreateEndpoint").filter((b) => b.EndpointID === epA.id);
    // The IPAM requires MAC addresses, so cnm made one before asking for the address and passed it on.
    assert.match(epA.mac ?? "", /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.deepEqual(ce, { NetworkID: rec.id, EndpointID: epA.id, Interface: { Address: epA.address, AddressIPv6: "", MacAddress: epA.mac }, Options: {} });
    const join = net.bodies("NetworkDriver.Join").find((b) => b.EndpointID === epA.id)!;
    assert.deepEqual(join, { NetworkID: rec.id, EndpointID: epA.id, SandboxKey: a.sandbox.key, Options: {} });
    assert.ok(net.calls().every((x) => x.accept === "application/vnd.docker.plugins.v1.2+json"));
    const addressRequests = ipam.bodies("IpamDriver.RequestAddress");
    assert.deepEqual(addressRequests[0], { PoolID: "py-10.213.7.0/24", Address: "", Options: { RequestAddressType: "com.docker.network.gateway" } });
    assert.ok(addressRequests.some((r) => JSON.stringify(r.Options) === JSON.stringify({ "com.docker.network.endpoint.macaddress": epA.mac })));
    assert.deepEqual(ipam.bodies("IpamDriver.RequestPool")[0], { AddressSpace: "pyLocal", Pool: "", SubPool: "", Options: {}, V6: false });
    assert.deepEqual(await c.endpointOperInfo("pn", epA.id), { plugin: "python" });

    await c.disconnect("pn", "a");
    await c.disconnect("pn", "b");
    await c.deleteSandbox("a");
    await c.deleteSandbox("b");
    await c.deleteNetwork("pn");
    const methods = net.calls().map((x) => x.method);
    for (const m of ["NetworkDriver.Leave", "NetworkDriver.DeleteEndpoint", "NetworkDriver.DeleteNetwork"]) assert.ok(methods.includes(m), m);
    const released = ipam.bodies("IpamDriver.ReleaseAddress").map((r) => r.Address);
    for (const ip of [plain(epA.address), plain(epB.address), "10.213.7.1"]) assert.ok(released.includes(ip), `released ${ip}`);
    assert.deepEqual(ipam.bodies("IpamDriver.ReleasePool"), [{ PoolID: "py-10.213.7.0/24" }]);
    assert.deepEqual(leftoverLinks(prefix), [], "no link of the plugin or cnm is left");
  });

  it("uses the gateway an IPAM plugin names with its pool, without asking for it as an address", async () => {
    const gwIpam = new PythonPlugin(dir, "pyipamgw", "ipam", prefix, "", { PY_IPAM_POOL: "10.213.9.0/24", PY_IPAM_GATEWAY_IN_DATA: "1" });
    await gwIpam.start();
    try {
      const rec = await c.createNetwork({ name: "gwnet", driver: "pynet", ipam: { driver: "pyipamgw" } });
      assert.equal(rec.ipv4[0]?.gateway, "10.213.9.254/24");
      assert.deepEqual(net.bodies("NetworkDriver.CreateNetwork").find((b) => b.NetworkID === rec.id)?.IPv4Data, [
        { AddressSpace: "pyLocal", Pool: "10.213.9.0/24", Gateway: "10.213.9.254/24" },
      ]);
      const s = await c.createSandbox({ name: "gw-s" });
      await c.connect("gwnet", "gw-s");
      assert.match((await inSandbox(s.sandbox.key, ["ip", "route"])).stdout, /default via 10\.213\.9\.254 dev eth0/);
      await c.deleteSandbox("gw-s");
      await c.deleteNetwork("gwnet");
      const asked = gwIpam.bodies("IpamDriver.RequestAddress").map((b) => (b.Options as Record<string, string> | undefined)?.RequestAddressType ?? "");
      assert.ok(!asked.includes("com.docker.network.gateway"), `no gateway request: ${JSON.stringify(asked)}`);
      const released = gwIpam.bodies("IpamDriver.ReleaseAddress").map((b) => b.Address);
      assert.ok(!released.some((a) => String(a).startsWith("10.213.9.254")), "a gateway never requested is never released");
      assert.equal(gwIpam.bodies("IpamDriver.ReleasePool").length, 1);
    } finally {
      await gwIpam.kill();
    }
  });

  it("refuses an address the plugin sets when cnm gave one, and rolls the endpoint back", async () => {
    await c.createNetwork({ name: "bad", driver: "pynet", ipam: { config: [{ subnet: "10.213.8.0/24" }] }, options: { "pytest.bad_address": "1" } });
    await c.createSandbox({ name: "bad-s" });
    await assert.rejects(c.connect("bad", "bad-s"), /plugin "pynet": driver modified interface address: .*; rolled back/);
    assert.deepEqual(c.networkEndpoints("bad"), []);
    // The address went back to the default IPAM: a new endpoint gets the first one again.
    await c.deleteSandbox("bad-s");
    await c.deleteNetwork("bad");
    assert.ok(net.bodies("NetworkDriver.DeleteEndpoint").length >= 3, "the rollback deleted the plugin's endpoint");
  });

  it("a plugin killed in the middle of Join: a clear error in bounded time, nothing half-made", async () => {
    await c.createNetwork({ name: "sl", driver: "pyslow", ipam: { driver: "pyipam" } });
    const s = await c.createSandbox({ name: "sl-s" });
    const started = Date.now();
    const connecting = c.connect("sl", "sl-s");
    connecting.catch(() => {});
    await slow.waitFor("hanging");
    await slow.kill();
    await assert.rejects(connecting, (err: Error) => {
      assert.match(err.message, /plugin "pyslow": NetworkDriver\.Join: .*(died|closed|refused|gone)/);
      return true;
    });
    assert.ok(Date.now() - started < 4000, `answered in ${Date.now() - started} ms`);
    assert.deepEqual(c.networkEndpoints("sl"), [], "no endpoint record");
    assert.deepEqual(c.sandbox("sl-s").endpoints, []);
    const links = (await inSandbox(s.sandbox.key, ["ip", "-br", "link"])).stdout.trim().split("\n");
    assert.deepEqual(links.map((l) => l.split(/\s+/)[0]), ["lo"], "only lo in the sandbox");
    // Its address went back to the IPAM plugin, which is still up.
    const asked = ipam.bodies("IpamDriver.RequestAddress").filter((r) => r.PoolID === "py-10.213.7.0/24" && !r.Options?.toString().includes("gateway"));
    assert.ok(asked.length > 0);
    const released = ipam.bodies("IpamDriver.ReleaseAddress").map((r) => r.Address);
    assert.ok(released.includes("10.213.7.2"), `released: ${released.join(", ")}`);

    // With the plugin gone, deleting its network fails clearly and quickly, losing nothing.
    await assert.rejects(c.deleteNetwork("sl"), /plugin "pyslow": NetworkDriver\.DeleteNetwork: .*(refused|gone)/);
    assert.equal(c.network("sl").name, "sl");
    // Back up on the same socket, the plugin is reached again without cnm being told.
    await slow.start();
    await c.deleteSandbox("sl-s");
    await c.deleteNetwork("sl");
  });

  it("a plugin that is not there: 404 naming it, at once", async () => {
    const started = Date.now();
    await assert.rejects(c.createNetwork({ name: "none", driver: "nosuchplug" }), (err: Error & { status?: number }) => {
      assert.equal(err.status, 404);
      assert.match(err.message, /plugin "nosuchplug" not found/);
      return true;
    });
    await assert.rejects(c.createNetwork({ name: "none", ipam: { driver: "nosuchipam" } }), /plugin "nosuchipam" not found/);
    // A plugin of the other kind is not taken for this one.
    await assert.rejects(c.createNetwork({ name: "none", driver: "pyipam" }), /plugin "pyipam" does not implement NetworkDriver/);
    assert.ok(Date.now() - started < 2000);
    assert.equal(c.networks().some((n) => n.name === "none"), false);
  });
});
