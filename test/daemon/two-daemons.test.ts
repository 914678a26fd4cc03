import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { leftoverLinks, leftoverNamespaces, uniquePrefix } from "../integration/helpers.js";
import { DaemonProcess } from "./daemon-process.js";

describe("two daemons on one host", () => {
  const one = new DaemonProcess(uniquePrefix());
  const two = new DaemonProcess(uniquePrefix());
  after(async () => {
    await one.destroy();
    await two.destroy();
  });

  it("run side by side with their own data roots, sockets and kernel objects", async () => {
    await one.start();
    await two.start();
    // The same names in both: each daemon has its own world.
    for (const [d, subnet] of [[one, "10.211.0.0/24"], [two, "10.211.1.0/24"]] as const) {
      assert.equal((await d.call("POST", "/networks/create", { Name: "shared-name", IPAM: { Config: [{ Subnet: subnet }] } })).status, 201);
      assert.equal((await d.call("POST", "/sandboxes/create", { Name: "box", NetworkMode: "none" })).status, 201);
      assert.equal((await d.call("POST", "/networks/shared-name/connect", { Container: "box" })).status, 200);
    }
    assert.equal(leftoverNamespaces(one.prefix).length, 1);
    assert.equal(leftoverNamespaces(two.prefix).length, 1);
    // Killing and purging one leaves the other's objects alone.
    const twoLinks = leftoverLinks(two.prefix).sort();
    await one.destroy();
    assert.deepEqual(leftoverNamespaces(one.prefix), []);
    assert.deepEqual(leftoverLinks(two.prefix).sort(), twoLinks);
    const box = (await two.call("GET", "/sandboxes/box")).json as { Networks: Record<string, { IPAddress: string }> };
    assert.equal(box.Networks["shared-name"]?.IPAddress, "10.211.1.2");
  });

  it("refuses a second daemon on the same data root", async () => {
    const again = new DaemonProcess(two.prefix);
    await assert.rejects(again.start(), /another cnmd \(pid \d+\) is using this data root/);
  });
});
