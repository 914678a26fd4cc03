import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { before, describe, it } from "node:test";
import { ExhaustedError, type Controller } from "../../src/index.js";
import { canPing, controllerFixture, plain, settledLeftoverLinks } from "./helpers.js";

describe("IPv6, MTU, concurrency and the bridge's port limit", () => {
  const fixture = controllerFixture();
  const prefix = fixture.prefix;
  let c: Controller;
  before(() => {
    c = fixture.c;
  });

  it("dual-stack sandboxes reach each other over IPv6 and get an IPv6 default route", async () => {
    await c.createNetwork({
      name: "v6",
      enableIPv6: true,
      ipam: { config: [{ subnet: "10.203.0.0/24" }, { subnet: "fd00:cafe:203::/64" }] },
    });
    const a = await c.createSandbox({ name: "v6-a" });
    await c.createSandbox({ name: "v6-b" });
    const ea = await c.connect("v6", "v6-a");
    const eb = await c.connect("v6", "v6-b");
    assert.equal(ea.endpoint.addressIPv6, "fd00:cafe:203::2/64");
    assert.equal(eb.endpoint.addressIPv6, "fd00:cafe:203::3/64");
    assert.ok(await canPing(a.sandbox.key, plain(eb.endpoint.addressIPv6)));
    assert.ok(await canPing(a.sandbox.key, "fd00:cafe:203::1"), "the IPv6 gateway on the bridge");
    const ns = a.sandbox.key.split("/").pop()!;
    assert.match(execFileSync("ip", ["-n", ns, "-6", "route", "show", "default"], { encoding: "utf8" }), /via fd00:cafe:203::1 dev eth0/);
  });

  it("an IPv6 subnet without --ipv6 is refused", async () => {
    await assert.rejects(c.createNetwork({ name: "v6no", ipam: { config: [{ subnet: "fd00:cafe:204::/64" }] } }), /IPv6 is not enabled/);
  });

  it("the MTU option reaches both ends of the veth", async () => {
    await c.createNetwork({
      name: "mtu",
      ipam: { config: [{ subnet: "10.203.1.0/24" }] },
      options: { "com.docker.network.driver.mtu": "1400", "com.docker.network.bridge.name": `${prefix}mtu` },
    });
    const s = await c.createSandbox({ name: "mtu-a" });
    await c.connect("mtu", "mtu-a");
    const ns = s.sandbox.key.split("/").pop()!;
    const inside = JSON.parse(execFileSync("ip", ["-n", ns, "-j", "link", "show", "eth0"], { encoding: "utf8" }));
    const bridge = JSON.parse(execFileSync("ip", ["-j", "link", "show", `${prefix}mtu`], { encoding: "utf8" }));
    assert.equal(inside[0].mtu, 1400);
    assert.equal(bridge[0].mtu, 1400);
    // Bridge ports carry no IPv6 of their own, and an IPv4-only sandbox interface has none either.
    const hostEnd = JSON.parse(execFileSync("ip", ["-j", "-6", "addr", "show", "master", `${prefix}mtu`], { encoding: "utf8" }));
    assert.deepEqual(hostEnd.flatMap((l: { addr_info?: unknown[] }) => l.addr_info ?? []), []);
    assert.equal(execFileSync("ip", ["-n", ns, "-6", "addr", "show", "dev", "eth0"], { encoding: "utf8" }).trim(), "");
    const snooping = (name: string) => execFileSync("cat", [`/sys/class/net/${name}/bridge/multicast_snooping`], { encoding: "utf8" }).trim();
    assert.equal(snooping(`${prefix}mtu`), "0");
    await c.createNetwork({
      name: "snoop",
      ipam: { config: [{ subnet: "10.203.3.0/24" }] },
      options: { "cnm.bridge.multicast_snooping": "true", "com.docker.network.bridge.name": `${prefix}snp` },
    });
    assert.equal(snooping(`${prefix}snp`), "1");
  });

  it("concurrent connects of different sandboxes all succeed with distinct addresses", async () => {
    await c.createNetwork({ name: "conc", ipam: { config: [{ subnet: "10.203.2.0/24" }] } });
    const names = Array.from({ length: 20 }, (_, i) => `conc-${i}`);
    for (const n of names) await c.createSandbox({ name: n });
    const eps = await Promise.all(names.map((n) => c.connect("conc", n)));
    const addresses = new Set(eps.map((e) => e.endpoint.address));
    assert.equal(addresses.size, 20);
    const first = c.sandbox("conc-0");
    assert.ok(await canPing(first.sandbox.key, plain(eps[19]!.endpoint.address)));
    await Promise.all(names.map((n) => c.deleteSandbox(n)));
    assert.equal(c.networkEndpoints("conc").length, 0);
  });

  it("the 1024th port of a bridge gets a clear error, not the kernel's", async () => {
    const vethsBefore = (await settledLeftoverLinks(prefix)).filter((l) => l.startsWith(`${prefix}h`)).length;
    await c.createNetwork({ name: "full", ipam: { config: [{ subnet: "10.204.0.0/21" }] } });
    const n = 1023;
    for (let i = 0; i < n; i++) {
      await c.createSandbox({ name: `full-${i}` });
      await c.connect("full", `full-${i}`);
    }
    await c.createSandbox({ name: "full-last" });
    await assert.rejects(
      c.connect("full", "full-last"),
      (e: Error) => e instanceof ExhaustedError && /maximum of 1023 ports/.test(e.message),
    );
    assert.equal(c.sandbox("full-last").endpoints.length, 0);
    // Tear down in parallel batches: each veth deletion waits for an RCU grace period in the kernel.
    const all = [...Array.from({ length: n }, (_, i) => `full-${i}`), "full-last"];
    for (let i = 0; i < all.length; i += 64) await Promise.all(all.slice(i, i + 64).map((s) => c.deleteSandbox(s)));
    await c.deleteNetwork("full");
    // The kernel frees a thousand namespaces' veths in the background, in batches.
    const vethsAfter = async () => (await settledLeftoverLinks(prefix, 0)).filter((l) => l.startsWith(`${prefix}h`)).length;
    const deadline = Date.now() + 30_000;
    while ((await vethsAfter()) > vethsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await vethsAfter(), vethsBefore);
  });
});
