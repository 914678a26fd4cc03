import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { CnmdProcess } from "../../src/testbed/cnmd-process.js";
import { canPing, leftoverLinks, plain, sweep, uniquePrefix } from "../integration/helpers.js";
import { PythonPlugin } from "./python-plugins.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/plugin/main.js", import.meta.url));

/**
 * A real cnmd finds plugins in its --plugin-dir and serves them through
 * Docker's API: the Python plugins and the SDK's example plugin, each with
 * two sandboxes that reach each other; a network whose plugin is down at a
 * restart is kept and comes back once the plugin is up.
 */
describe("plugins through cnmd and the HTTP API", () => {
  const prefix = uniquePrefix();
  const dir = `/run/cnm-test/${prefix}-daemon`;
  const pluginDir = `${dir}/plugins`;
  const socket = `${dir}/cnm.sock`;
  const cnmd = new CnmdProcess({ dataRoot: `${dir}/data`, socket, prefix, logPath: `${dir}/cnmd.log`, extraArgs: ["--plugin-dir", pluginDir] });
  let net: PythonPlugin;
  let ipam: PythonPlugin;
  let example: ChildProcess | undefined;

  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; json: any }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ socketPath: socket, method, path, headers: payload ? { "Content-Type": "application/json" } : {} }, (res) => {
        let data = "";
        res.on("data", (d) => (data += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: data && res.headers["content-type"]?.startsWith("application/json") ? JSON.parse(data) : data }));
      });
      req.on("error", reject);
      req.end(payload);
    });

  /** Two sandboxes on the network; each pings the other; returns nothing, asserts everything. */
  async function pingPair(network: string, a: string, b: string): Promise<void> {
    for (const name of [a, b]) {
      assert.equal((await call("POST", "/sandboxes/create", { Name: name })).status, 201);
      const r = await call("POST", `/networks/${network}/connect`, { Container: name });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    const sa = (await call("GET", `/sandboxes/${a}`)).json;
    const sb = (await call("GET", `/sandboxes/${b}`)).json;
    const ipB = plain(sb.Networks[network].IPAddress ? `${sb.Networks[network].IPAddress}/32` : undefined);
    const ipA = plain(`${sa.Networks[network].IPAddress}/32`);
    assert.ok(await canPing(sa.Key, ipB), `${a} reaches ${b} at ${ipB}`);
    assert.ok(await canPing(sb.Key, ipA), `${b} reaches ${a} at ${ipA}`);
  }

  before(async () => {
    mkdirSync(pluginDir, { recursive: true });
    net = new PythonPlugin(pluginDir, "pynet", "network", prefix);
    ipam = new PythonPlugin(pluginDir, "pyipam", "ipam", prefix, "", { PY_IPAM_POOL: "10.213.10.0/24" });
    await Promise.all([net.start(), ipam.start()]);
    example = spawn(process.execPath, [EXAMPLE, "--socket", `${pluginDir}/vethx.sock`, "--prefix", `${prefix}x`], { stdio: ["ignore", "ignore", "inherit"] });
    const deadline = Date.now() + 5000;
    while (!existsSync(`${pluginDir}/vethx.sock`)) {
      if (Date.now() > deadline) throw new Error("the example plugin did not start");
      await new Promise((r) => setTimeout(r, 20));
    }
    await cnmd.start();
  });

  after(async () => {
    try {
      await cnmd.kill();
    } finally {
      await net?.kill();
      await ipam?.kill();
      example?.kill("SIGKILL");
      sweep(prefix);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("docker network create -d <python plugin> --ipam-driver <python plugin>: sandboxes reach each other", async () => {
    const r = await call("POST", "/networks/create", { Name: "py", Driver: "pynet", IPAM: { Driver: "pyipam" }, Options: { "pytest.k": "v" } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    const inspect = (await call("GET", "/networks/py")).json;
    assert.equal(inspect.Driver, "pynet");
    assert.equal(inspect.IPAM.Driver, "pyipam");
    assert.equal(inspect.IPAM.Config[0].Subnet, "10.213.10.0/24");
    await pingPair("py", "p1", "p2");
    assert.deepEqual(net.bodies("NetworkDriver.CreateNetwork")[0]?.Options, { "com.docker.network.generic": { "pytest.k": "v" }, "com.docker.network.enable_ipv6": false });
  });

  it("the SDK's example plugin (driver and IPAM in one TypeScript program)", async () => {
    const r = await call("POST", "/networks/create", { Name: "ex", Driver: "vethx", IPAM: { Driver: "vethx", Config: [{ Subnet: "10.213.11.0/24" }] } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    await pingPair("ex", "e1", "e2");
    for (const name of ["e1", "e2"]) assert.equal((await call("DELETE", `/sandboxes/${name}`)).status, 204);
    assert.equal((await call("DELETE", "/networks/ex")).status, 204);
    assert.deepEqual(leftoverLinks(`${prefix}x`), [], "the example plugin removed its bridge and veths");
  });

  it("an unknown driver: Docker's 404", async () => {
    const r = await call("POST", "/networks/create", { Name: "nope", Driver: "nosuchplug" });
    assert.equal(r.status, 404);
    assert.match(r.json.message, /plugin "nosuchplug" not found/);
  });

  it("a network whose plugin is down at restart is kept, and back once the plugin is up", async () => {
    const before = (await call("GET", "/sandboxes/p1")).json;
    const asked = (method: string) => net.calls().filter((c) => c.method === method).length;
    const creates = { network: asked("NetworkDriver.CreateNetwork"), endpoint: asked("NetworkDriver.CreateEndpoint"), join: asked("NetworkDriver.Join") };
    assert.ok(before.Networks.py, "p1 is on py before the restart");
    await cnmd.stop();
    await net.kill();
    // Gone as a stopped plugin goes, socket and all (a socket left behind would be retried for Docker's 30 s).
    rmSync(net.socket);
    await cnmd.start();
    assert.match(cnmd.readLog(), /not restored: network py: .*pynet.*its record is kept/);
    assert.equal((await call("GET", "/networks/py")).status, 404);
    await cnmd.stop();
    await net.start();
    await cnmd.start();
    const back = await call("GET", "/networks/py");
    assert.equal(back.status, 200);
    assert.equal(back.json.Driver, "pynet");
    // The sandboxes kept their endpoints on it through the start that could not restore it.
    const after = (await call("GET", "/sandboxes/p1")).json;
    assert.equal(after.Networks.py?.EndpointID, before.Networks.py.EndpointID, `p1 keeps its endpoint on py; cnmd log:\n${cnmd.readLog().slice(-3000)}`);
    assert.equal(after.Networks.py?.IPAddress, before.Networks.py.IPAddress);
    // As Docker, a restart does not ask the plugin to make again what it made before.
    assert.deepEqual(
      { network: asked("NetworkDriver.CreateNetwork"), endpoint: asked("NetworkDriver.CreateEndpoint"), join: asked("NetworkDriver.Join") },
      creates,
    );
  });
});
