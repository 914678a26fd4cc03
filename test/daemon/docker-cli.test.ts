import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { uniquePrefix } from "../integration/helpers.js";
import { DaemonProcess } from "./daemon-process.js";

const run = promisify(execFile);

/** The real docker CLI (a client only) against a real cnmd process. */
describe("docker CLI against cnmd", () => {
  const d = new DaemonProcess(uniquePrefix());
  after(() => d.destroy());
  const docker = (...args: string[]) =>
    run("docker", args, { env: { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: `/run/cnm-test/${d.prefix}-daemon/docker` } });

  it("creates, lists, inspects, connects, disconnects, removes and prunes networks", async () => {
    await d.start();
    const { stdout: id } = await docker("network", "create", "--subnet", "10.212.0.0/24", "--gateway", "10.212.0.254", "--label", "team=a", "front");
    assert.match(id.trim(), /^[0-9a-f]{64}$/);
    const { stdout: ls } = await docker("network", "ls", "--filter", "label=team=a", "--format", "{{.Name}} {{.Driver}} {{.Scope}}");
    assert.equal(ls.trim(), "front bridge local");
    const { stdout: names } = await docker("network", "ls", "--format", "{{.Name}}");
    assert.deepEqual(names.trim().split("\n").sort(), ["bridge", "front", "host", "none"]);
    assert.equal((await d.call("POST", "/sandboxes/create", { Name: "web", NetworkMode: "none" })).status, 201);
    await docker("network", "connect", "--ip", "10.212.0.7", "front", "web");
    const { stdout: inspect } = await docker("network", "inspect", "front", "--format", "{{json .}}");
    const net = JSON.parse(inspect) as { IPAM: { Config: { Subnet: string; Gateway: string }[] }; Containers: Record<string, { Name: string; IPv4Address: string }> };
    assert.deepEqual(net.IPAM.Config[0], { Subnet: "10.212.0.0/24", Gateway: "10.212.0.254" });
    assert.deepEqual(Object.values(net.Containers).map((c) => [c.Name, c.IPv4Address]), [["web", "10.212.0.7/24"]]);
    await assert.rejects(docker("network", "rm", "front"), /has active endpoints/);
    await assert.rejects(docker("network", "create", "front"), /already exists/);
    await assert.rejects(docker("network", "inspect", "nope"), /not found/);
    await docker("network", "disconnect", "front", "web");
    await docker("network", "create", "unused");
    const { stdout: pruned } = await docker("network", "prune", "-f");
    assert.match(pruned, /front/);
    assert.match(pruned, /unused/);
    const { stdout: left } = await docker("network", "ls", "--format", "{{.Name}}");
    assert.deepEqual(left.trim().split("\n").sort(), ["bridge", "host", "none"]);
  });
});
