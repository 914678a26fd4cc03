import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ConflictError, ForbiddenError, InvalidParameterError, NotFoundError, type Controller } from "../../src/index.js";
import { leftoverLinks, leftoverNamespaces, controllerFixture } from "./helpers.js";

/** Bad input gets a clear error and leaves no trace, in the controller or the kernel. */
describe("controller errors", () => {
  const fixture = controllerFixture();
  const prefix = fixture.prefix;
  let c: Controller;
  before(() => {
    c = fixture.c;
  });

  it("rejects a second network with the same name, naming it", async () => {
    await c.createNetwork({ name: "dup", ipam: { config: [{ subnet: "10.202.0.0/24" }] } });
    await assert.rejects(c.createNetwork({ name: "dup" }), (e: Error) => e instanceof ConflictError && /dup/.test(e.message));
    assert.equal(c.networks().filter((n) => n.name === "dup").length, 1);
  });

  it("rejects names with path separators, control characters or thousands of bytes", async () => {
    for (const name of ["a/b", "../x", "a\nb", "x".repeat(5000), ""]) {
      await assert.rejects(c.createNetwork({ name }), InvalidParameterError);
    }
  });

  it("rejects bad driver options before touching the kernel", async () => {
    const before = leftoverLinks(prefix).length;
    const cases: Record<string, string>[] = [
      { "com.docker.network.driver.mtu": "abc" },
      { "com.docker.network.driver.mtu": "10" },
      { "com.docker.network.bridge.name": "way-too-long-bridge-name" },
      { "com.docker.network.bridge.name": "a/b" },
      { "com.docker.network.bridge.enable_icc": "maybe" },
      { "com.docker.network.bridge.host_binding_ipv4": "not-an-ip" },
      { "com.docker.network.bridge.no_such_option": "1" },
    ];
    for (const options of cases) {
      await assert.rejects(c.createNetwork({ name: "badopt", options }), InvalidParameterError, JSON.stringify(options));
    }
    assert.equal(c.networks().some((n) => n.name === "badopt"), false);
    assert.equal(leftoverLinks(prefix).length, before);
  });

  it("rejects invalid and overlapping subnets, and releases the pool of a failed network", async () => {
    await assert.rejects(c.createNetwork({ name: "bad1", ipam: { config: [{ subnet: "10.300.0.0/24" }] } }));
    await assert.rejects(c.createNetwork({ name: "bad2", ipam: { config: [{ subnet: "10.202.0.0/25" }] } }), /overlap/i);
    await assert.rejects(
      c.createNetwork({ name: "bad3", ipam: { config: [{ subnet: "10.202.1.0/24", ipRange: "10.202.2.0/25" }] } }),
    );
    // The failed attempts must not hold 10.202.1.0/24.
    await c.createNetwork({ name: "good", ipam: { config: [{ subnet: "10.202.1.0/24" }] } });
  });

  it("names the pool when it is exhausted, and the failed connect leaves nothing", async () => {
    await c.createNetwork({ name: "tiny", ipam: { config: [{ subnet: "10.202.3.0/30" }] } });
    // A /30 has two usable addresses: the gateway takes one.
    await c.createSandbox({ name: "tiny-a" });
    await c.createSandbox({ name: "tiny-b" });
    await c.connect("tiny", "tiny-a");
    await assert.rejects(c.connect("tiny", "tiny-b"), /10\.202\.3\.0\/30/);
    assert.equal(c.sandbox("tiny-b").endpoints.length, 0);
    assert.equal(c.networkEndpoints("tiny").length, 1);
  });

  it("refuses to delete a network with endpoints, and to connect twice", async () => {
    await assert.rejects(c.deleteNetwork("tiny"), ForbiddenError);
    await assert.rejects(c.connect("tiny", "tiny-a"), ConflictError);
  });

  it("reports unknown networks and sandboxes as not found", async () => {
    await assert.rejects(c.connect("nope", "tiny-a"), NotFoundError);
    await assert.rejects(c.connect("tiny", "nope"), NotFoundError);
    await assert.rejects(c.deleteSandbox("nope"), NotFoundError);
    await assert.rejects(c.createNetwork({ name: "x", driver: "nosuchdriver" }), NotFoundError);
  });

  it("allows one null and one host network, and keeps host sandboxes off other networks", async () => {
    await c.createNetwork({ name: "none", driver: "null" });
    await assert.rejects(c.createNetwork({ name: "none2", driver: "null" }), ForbiddenError);
    await c.createNetwork({ name: "host", driver: "host" });
    await assert.rejects(c.createNetwork({ name: "h", driver: "host", ipam: { config: [{ subnet: "10.9.0.0/24" }] } }));
    const hs = await c.createSandbox({ name: "hostbox", useHostNetwork: true });
    assert.equal(hs.sandbox.key, "/proc/self/ns/net");
    await c.connect("host", "hostbox");
    await assert.rejects(c.connect("good", "hostbox"), ConflictError);
    await c.createSandbox({ name: "nonebox" });
    const ep = await c.connect("none", "nonebox");
    assert.equal(ep.endpoint.address, undefined);
    await c.deleteSandbox("hostbox");
    await c.deleteSandbox("nonebox");
  });

  it("deleting a sandbox disconnects it and removes its namespace", async () => {
    await c.deleteSandbox("tiny-a");
    await c.deleteSandbox("tiny-b");
    assert.deepEqual(leftoverNamespaces(prefix), []);
    await c.deleteNetwork("tiny");
  });
});
