import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, describe, it } from "node:test";
import { uniquePrefix } from "../integration/helpers.js";
import { DaemonProcess } from "../daemon/daemon-process.js";

const run = promisify(execFile);

interface SandboxJson {
  Key: string;
  Networks: Record<string, { IPAddress: string }>;
}

/**
 * The embedded DNS lives in cnmd, as Docker's lives in dockerd: while the
 * daemon is away names do not resolve, and once it is back (after a stop or a
 * kill -9) every sandbox's resolver answers again from the restored records.
 */
describe("embedded DNS across cnmd restarts", () => {
  const d = new DaemonProcess(uniquePrefix());
  after(() => d.destroy());

  const dig = async (ns: string, name: string): Promise<string> => {
    const { stdout } = await run("ip", ["netns", "exec", ns, "dig", "@127.0.0.11", "+short", "+tries=1", "+time=1", name]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
    // dig reports "connection refused" on stdout too, as ";;" lines: only answers count.
    return stdout.split("\n").filter((l) => l !== "" && !l.startsWith(";")).join("\n");
  };

  it("names resolve again after SIGTERM and after kill -9", async () => {
    await d.start();
    assert.equal((await d.call("POST", "/networks/create", { Name: "names", IPAM: { Config: [{ Subnet: "10.211.0.0/24" }] } })).status, 201);
    for (const name of ["a", "b"]) {
      assert.equal((await d.call("POST", "/sandboxes/create", { Name: name, NetworkMode: "none", Dns: ["127.0.0.1"] })).status, 201);
      const aliases = name === "b" ? ["bee"] : [];
      assert.equal((await d.call("POST", "/networks/names/connect", { Container: name, EndpointConfig: { Aliases: aliases } })).status, 200);
    }
    const a = (await d.call("GET", "/sandboxes/a")).json as SandboxJson;
    const b = (await d.call("GET", "/sandboxes/b")).json as SandboxJson;
    const ns = a.Key.slice(a.Key.lastIndexOf("/") + 1);
    const bee = b.Networks["names"]!.IPAddress;
    assert.equal(await dig(ns, "bee"), bee);

    await d.stop();
    assert.equal(await dig(ns, "bee"), "", "no resolver while cnmd is away");
    await d.start();
    assert.equal(await dig(ns, "bee"), bee, "back after a stop");

    await d.crash();
    await d.start();
    assert.equal(await dig(ns, "bee"), bee, "back after kill -9");
    assert.equal(await dig(ns, "b"), bee);
  });
});
