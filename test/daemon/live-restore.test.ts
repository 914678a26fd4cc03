import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import { uniquePrefix } from "../integration/helpers.js";
import { DaemonProcess } from "./daemon-process.js";

interface SandboxJson {
  Key: string;
  Networks: Record<string, { IPAddress: string }>;
}

describe("live restore", () => {
  const d = new DaemonProcess(uniquePrefix());
  after(() => d.destroy());

  it("a ping flood between two sandboxes loses no packet across a cnmd restart", async () => {
    await d.start();
    assert.equal((await d.call("POST", "/networks/create", { Name: "flood", IPAM: { Config: [{ Subnet: "10.210.0.0/24" }] } })).status, 201);
    for (const name of ["a", "b"]) {
      assert.equal((await d.call("POST", "/sandboxes/create", { Name: name, NetworkMode: "none" })).status, 201);
      assert.equal((await d.call("POST", "/networks/flood/connect", { Container: name })).status, 200);
    }
    const a = (await d.call("GET", "/sandboxes/a")).json as SandboxJson;
    const b = (await d.call("GET", "/sandboxes/b")).json as SandboxJson;
    const target = b.Networks["flood"]!.IPAddress;
    // 3000 echo requests, one every 2 ms: about 6 s of traffic, with the restart in the middle.
    const ns = a.Key.slice(a.Key.lastIndexOf("/") + 1);
    const ping = spawn("ip", ["netns", "exec", ns, "ping", "-q", "-c", "3000", "-i", "0.002", "-W", "1", target]);
    let out = "";
    ping.stdout.on("data", (x) => (out += x));
    const done = new Promise<void>((r) => ping.once("exit", () => r()));
    await new Promise((r) => setTimeout(r, 1000));
    await d.stop();
    await new Promise((r) => setTimeout(r, 500));
    await d.start();
    await done;
    assert.match(out, /3000 packets transmitted, 3000 received, 0% packet loss/);
    assert.match(d.log, /2 joins kept, 0 rebuilt/);
  });
});
