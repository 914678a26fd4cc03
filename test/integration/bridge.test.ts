import assert from "node:assert/strict";
import { execFileSync, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import type { Controller } from "../../src/index.js";
import {
  canPing,
  fetchReply,
  settledLeftoverLinks,
  leftoverNamespaces,
  leftoverTables,
  newController,
  plain,
  startListener,
  sweep,
  uniquePrefix,
} from "./helpers.js";

describe("bridge networks on real namespaces", () => {
  const prefix = uniquePrefix();
  let c: Controller;
  const children: ChildProcess[] = [];

  before(async () => {
    c = await newController(prefix);
  });

  after(async () => {
    for (const ch of children) ch.kill();
    try {
      await c.destroyAll();
      await c.close();
    } finally {
      sweep(prefix);
    }
  });

  it("two sandboxes on one network reach each other, and the sandbox is configured as Docker would", async () => {
    await c.createNetwork({ name: "one", ipam: { config: [{ subnet: "10.201.0.0/24" }] } });
    const a = await c.createSandbox({ name: "one-a" });
    const b = await c.createSandbox({ name: "one-b" });
    const ea = await c.connect("one", "one-a");
    const eb = await c.connect("one", "one-b");
    assert.equal(ea.endpoint.address, "10.201.0.2/24");
    assert.equal(eb.endpoint.address, "10.201.0.3/24");
    assert.ok(await canPing(a.sandbox.key, plain(eb.endpoint.address)));
    assert.ok(await canPing(b.sandbox.key, plain(ea.endpoint.address)));
    // The gateway is the bridge itself.
    assert.ok(await canPing(a.sandbox.key, "10.201.0.1"));
    const ns = a.sandbox.key.split("/").pop()!;
    const addrs = JSON.parse(execFileSync("ip", ["-n", ns, "-j", "addr", "show", "eth0"], { encoding: "utf8" }));
    assert.equal(addrs[0].address, ea.endpoint.mac);
    assert.ok(addrs[0].addr_info.some((x: { local: string }) => x.local === "10.201.0.2"));
    const routes = execFileSync("ip", ["-n", ns, "route", "show", "default"], { encoding: "utf8" });
    assert.match(routes, /default via 10\.201\.0\.1 dev eth0/);
    const hosts = execFileSync("cat", [c.sandbox("one-a").hostsPath], { encoding: "utf8" });
    assert.match(hosts, /10\.201\.0\.2\tone-a/);
  });

  it("with ICC off, sandboxes on the same network cannot reach each other but reach the gateway", async () => {
    await c.createNetwork({
      name: "noicc",
      ipam: { config: [{ subnet: "10.201.1.0/24" }] },
      options: { "com.docker.network.bridge.enable_icc": "false" },
    });
    const a = await c.createSandbox({ name: "noicc-a" });
    await c.createSandbox({ name: "noicc-b" });
    await c.connect("noicc", "noicc-a");
    const eb = await c.connect("noicc", "noicc-b");
    assert.equal(await canPing(a.sandbox.key, plain(eb.endpoint.address)), false);
    assert.ok(await canPing(a.sandbox.key, "10.201.1.1"));
  });

  it("two bridge networks cannot reach each other", async () => {
    await c.createNetwork({ name: "iso1", ipam: { config: [{ subnet: "10.201.2.0/24" }] } });
    await c.createNetwork({ name: "iso2", ipam: { config: [{ subnet: "10.201.3.0/24" }] } });
    const a = await c.createSandbox({ name: "iso-a" });
    const b = await c.createSandbox({ name: "iso-b" });
    const ea = await c.connect("iso1", "iso-a");
    const eb = await c.connect("iso2", "iso-b");
    assert.equal(await canPing(a.sandbox.key, plain(eb.endpoint.address)), false);
    assert.equal(await canPing(b.sandbox.key, plain(ea.endpoint.address)), false);
  });

  it("a sandbox on an internal network reaches its subnet and nothing beyond it", async () => {
    await c.createNetwork({ name: "inner", internal: true, ipam: { config: [{ subnet: "10.201.4.0/24" }] } });
    await c.createNetwork({ name: "outer", ipam: { config: [{ subnet: "10.201.5.0/24" }] } });
    const a = await c.createSandbox({ name: "inner-a" });
    await c.createSandbox({ name: "inner-b" });
    const o = await c.createSandbox({ name: "outer-o" });
    await c.connect("inner", "inner-a");
    const eb = await c.connect("inner", "inner-b");
    const eo = await c.connect("outer", "outer-o");
    assert.ok(await canPing(a.sandbox.key, plain(eb.endpoint.address)), "same internal network");
    const ns = a.sandbox.key.split("/").pop()!;
    assert.equal(execFileSync("ip", ["-n", ns, "route", "show", "default"], { encoding: "utf8" }).trim(), "", "no default route");
    // Even with a route to the outside, the firewall lets nothing leave the internal bridge.
    execFileSync("ip", ["-n", ns, "route", "add", "default", "via", "10.201.4.1"]);
    assert.equal(await canPing(a.sandbox.key, "10.201.5.1"), false, "host address on another bridge");
    assert.equal(await canPing(a.sandbox.key, plain(eo.endpoint.address)), false, "sandbox on another network");
  });

  it("published TCP and UDP ports reach the sandbox from the host, 127.0.0.1, another sandbox and the same bridge", async () => {
    await c.createNetwork({ name: "pub", ipam: { config: [{ subnet: "10.201.6.0/24" }] } });
    await c.createNetwork({ name: "client", ipam: { config: [{ subnet: "10.201.7.0/24" }] } });
    const server = await c.createSandbox({
      name: "pub-server",
      portBindings: [
        { proto: "tcp", containerPort: 8080, hostPort: 18080 },
        { proto: "udp", containerPort: 5353, hostPort: 15353 },
        { proto: "tcp", containerPort: 9090, hostPort: 0 },
      ],
    });
    const other = await c.createSandbox({ name: "pub-other" });
    const same = await c.createSandbox({ name: "pub-same" });
    await c.connect("pub", "pub-server");
    await c.connect("client", "pub-other");
    await c.connect("pub", "pub-same");
    children.push(await startListener(server.sandbox.key, "tcp", 8080, "hello-tcp"));
    children.push(await startListener(server.sandbox.key, "udp", 5353, "hello-udp"));
    children.push(await startListener(server.sandbox.key, "tcp", 9090, "hello-ephemeral"));
    // A host address cnm did not put on the server's network: the client network's gateway.
    const hostAddress = "10.201.7.1";
    assert.equal(await fetchReply(undefined, "tcp", hostAddress, 18080), "hello-tcp");
    assert.equal(await fetchReply(undefined, "tcp", "127.0.0.1", 18080), "hello-tcp");
    assert.equal(await fetchReply(undefined, "udp", hostAddress, 15353), "hello-udp");
    assert.equal(await fetchReply(undefined, "udp", "127.0.0.1", 15353), "hello-udp");
    assert.equal(await fetchReply(other.sandbox.key, "tcp", hostAddress, 18080), "hello-tcp");
    assert.equal(await fetchReply(other.sandbox.key, "udp", hostAddress, 15353), "hello-udp");
    assert.equal(await fetchReply(same.sandbox.key, "tcp", hostAddress, 18080), "hello-tcp", "hairpin");
    assert.equal(await fetchReply(server.sandbox.key, "tcp", hostAddress, 18080), "hello-tcp", "its own published port");
    // The ephemeral port comes from Docker's range and is reported by the driver.
    const serverEp = c.networkEndpoints("pub").find((e) => e.endpoint.name === "pub-server")!.endpoint;
    const portmap = (await c.endpointOperInfo("pub", serverEp.id))["com.docker.network.portmap"] as { Port: number; HostPort: number }[];
    const ephemeral = portmap.find((m) => m.Port === 9090)?.HostPort ?? 0;
    assert.ok(ephemeral >= 49153 && ephemeral <= 60999, `ephemeral port ${ephemeral}`);
    assert.equal(await fetchReply(undefined, "tcp", "127.0.0.1", ephemeral), "hello-ephemeral");
    // Once the server leaves, its ports are gone.
    await c.disconnect("pub", "pub-server");
    assert.notEqual(await fetchReply(undefined, "tcp", "127.0.0.1", 18080), "hello-tcp");
  });

  it("a sandbox on two networks has two interfaces and the right default route, before and after leaving one", async () => {
    await c.createNetwork({ name: "first", ipam: { config: [{ subnet: "10.201.8.0/24" }] } });
    await c.createNetwork({ name: "second", ipam: { config: [{ subnet: "10.201.9.0/24" }] } });
    const s = await c.createSandbox({ name: "multi" });
    const ns = s.sandbox.key.split("/").pop()!;
    const defaultRoute = () => execFileSync("ip", ["-n", ns, "route", "show", "default"], { encoding: "utf8" }).trim();
    await c.connect("first", "multi");
    await c.connect("second", "multi");
    const links = JSON.parse(execFileSync("ip", ["-n", ns, "-j", "-4", "addr"], { encoding: "utf8" })) as {
      ifname: string;
      addr_info: { local: string }[];
    }[];
    const byName = Object.fromEntries(links.map((l) => [l.ifname, l.addr_info.map((a) => a.local)]));
    assert.deepEqual(byName["eth0"], ["10.201.8.2"]);
    assert.deepEqual(byName["eth1"], ["10.201.9.2"]);
    assert.match(defaultRoute(), /via 10\.201\.8\.1 dev eth0/, "the first network joined gives the gateway");
    await c.disconnect("first", "multi");
    assert.match(defaultRoute(), /via 10\.201\.9\.1 dev eth1/, "leaving it hands the gateway to the other");
    await c.connect("first", "multi", { gatewayPriority: 10 });
    assert.match(defaultRoute(), /via 10\.201\.8\.1 dev eth0/, "a higher priority takes the gateway");
    await c.disconnect("first", "multi");
    await c.disconnect("second", "multi");
    assert.equal(defaultRoute(), "");
  });

  it("leave and delete remove every link, address, rule and namespace they created", async () => {
    await c.destroyAll();
    assert.deepEqual(leftoverNamespaces(prefix), []);
    assert.deepEqual(await settledLeftoverLinks(prefix), []);
    assert.deepEqual(leftoverTables(prefix), []);
    const addrs = execFileSync("ip", ["-4", "-br", "addr"], { encoding: "utf8" });
    assert.doesNotMatch(addrs, /10\.201\./);
  });
});
