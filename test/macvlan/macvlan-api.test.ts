import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { kernelConfigOption } from "../../src/linux/index.js";
import { canPing } from "../integration/helpers.js";
import { docker, dockerOk, request, startApi, type ApiFixture } from "../api/harness.js";
import { makeSegment, type Segment } from "./segment.js";

describe("macvlan through the HTTP API and the docker CLI", () => {
  let fx: ApiFixture;
  let seg: Segment;
  before(async () => {
    fx = await startApi();
    seg = makeSegment(fx.prefix, "pa", ["198.51.100.254/24"]);
  });
  after(async () => {
    try {
      await fx?.close();
    } finally {
      seg?.remove();
    }
  });

  it("docker network create -d macvlan -o parent=... makes a network sandboxes reach the segment on", async () => {
    const id = (
      await dockerOk(fx, ["network", "create", "-d", "macvlan", "--subnet", "198.51.100.0/24", "-o", `parent=${seg.parent}`, "-o", "macvlan_mode=bridge", "mvnet"])
    ).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const [inspected] = JSON.parse(await dockerOk(fx, ["network", "inspect", "mvnet"])) as Record<string, any>[];
    assert.equal(inspected!.Driver, "macvlan");
    assert.equal(inspected!.Scope, "local");
    assert.deepEqual(inspected!.Options, { parent: seg.parent, macvlan_mode: "bridge" });
    const sb = await fx.controller.createSandbox({ name: "web" });
    await dockerOk(fx, ["network", "connect", "mvnet", "web"]);
    assert.ok(await canPing(sb.sandbox.key, "198.51.100.254"));
    assert.ok(seg.ping("198.51.100.2"));
    await dockerOk(fx, ["network", "disconnect", "mvnet", "web"]);
    await fx.controller.deleteSandbox("web");
    await dockerOk(fx, ["network", "rm", "mvnet"]);
  });

  it("a bad macvlan option and the ipvlan driver are 400s with Docker's error body", async () => {
    const bad = await request(fx.socketPath, "POST", "/networks/create", {
      body: { Name: "mvbad", Driver: "macvlan", Options: { parent: seg.parent, macvlan_mode: "nonsense" }, IPAM: { Config: [{ Subnet: "198.51.100.0/24" }] } },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.json<{ message: string }>().message, /macvlan mode 'nonsense' is not valid/);

    const iv = await request(fx.socketPath, "POST", "/networks/create", {
      body: { Name: "ivnet", Driver: "ipvlan", Options: { parent: seg.parent }, IPAM: { Config: [{ Subnet: "198.51.100.0/24" }] } },
    });
    assert.equal(iv.status, 400);
    const reason = kernelConfigOption("CONFIG_IPVLAN") === "n" ? /the kernel has no ipvlan support/ : /ipvlan driver is not supported/;
    assert.match(iv.json<{ message: string }>().message, reason);
    const cli = await docker(fx, ["network", "create", "-d", "ipvlan", "-o", `parent=${seg.parent}`, "ivnet"]);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, reason);
    const list = await dockerOk(fx, ["network", "ls", "--format", "{{.Name}}"]);
    assert.doesNotMatch(list, /mvbad|ivnet/);
  });
});
