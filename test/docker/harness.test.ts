// Real dockerd (Debian's docker.io 20.10) in testbed hosts: it starts in a
// host's network namespace with a machine of its own, runs a busybox
// container on its default bridge, answers the Engine API client (networks,
// containers, events), two of them see only their own /run/docker/plugins,
// one survives a restart, and close() leaves nothing, even after kill -9
// with a container running. A dockerd outside a testbed gets a network
// namespace of its own.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EngineApiError, EngineClient, EngineUnreachableError, type EngineEvent } from "../../src/engines/docker/engine-client.js";
import { BUSYBOX_IMAGE, DockerdProcess, importBusyboxImage, isClean, runChecked, Testbed } from "../../src/testbed/index.js";

async function dockerOk(dockerd: DockerdProcess, args: string[]): Promise<string> {
  const r = await dockerd.docker(args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.stderr}\n${dockerd.logTail(1500)}`);
  return r.stdout;
}

describe("dockerd in two testbed hosts", () => {
  let bed: Testbed | undefined;
  const dockerds: DockerdProcess[] = [];
  const tag = randomBytes(3).toString("hex");
  const d = (i: number): DockerdProcess => {
    const dockerd = dockerds[i];
    assert.ok(dockerd, "dockerd did not start");
    return dockerd;
  };

  before(async () => {
    bed = await Testbed.start({ hosts: 2 });
    const t = Date.now();
    // h1's dockerd picks its storage driver (overlay2 where it works), h2's is told vfs: both are exercised.
    for (const host of bed.hosts) {
      const storageDriver = host.index === 2 ? "vfs" : undefined;
      dockerds.push(DockerdProcess.inHost(host, { storageDriver, onProgress: (m) => console.log(`${host.name}: ${m}`) }));
    }
    await Promise.all(dockerds.map((x) => x.start()));
    console.log(`two dockerd answering after ${Date.now() - t} ms`);
  });
  after(async () => {
    const results = await Promise.allSettled(dockerds.map((x) => x.close()));
    await bed?.close();
    for (const r of results) if (r.status === "rejected") throw r.reason;
  });

  it("answers with its version", async () => {
    const v = await d(0).version();
    const drivers = await Promise.all(dockerds.map(async (x) => (await dockerOk(x, ["info", "--format", "{{.Driver}}"])).trim()));
    console.log(`dockerd ${v.Version} (API ${v.ApiVersion}), storage drivers ${drivers.join(", ")}`);
    assert.equal(drivers[1], "vfs");
    assert.match(v.Version, /^20\.10\./);
    assert.equal(v.ApiVersion, "1.41");
  });

  it("runs a busybox container that pings docker0's gateway", async () => {
    let t = Date.now();
    await importBusyboxImage(d(0).client);
    console.log(`${BUSYBOX_IMAGE} imported in ${Date.now() - t} ms`);
    // The default bridge's IPAM config names only its subnet (no --bip): the gateway is docker0's address.
    const addr = await d(0).exec(["ip", "-4", "-o", "addr", "show", "docker0"]);
    const gateway = /inet ([\d.]+)\//.exec(addr.stdout)?.[1];
    assert.ok(gateway, `docker0 has no IPv4 address: ${addr.stdout}${addr.stderr}`);
    console.log(`default bridge ${JSON.stringify((await d(0).client.inspectNetwork("bridge")).IPAM.Config)}, docker0 ${gateway}`);
    t = Date.now();
    const out = await dockerOk(d(0), ["run", "--rm", BUSYBOX_IMAGE, "ping", "-c1", "-W2", gateway]);
    console.log(`docker run --rm ... ping ${gateway}: ${Date.now() - t} ms`);
    assert.match(out, /1 packets received/);
  });

  it("lists the default networks, creates and deletes one, and streams their events", async () => {
    const names = (await d(0).client.listNetworks()).map((n) => n.Name).sort();
    assert.deepEqual(names, ["bridge", "host", "none"]);
    const seen: EngineEvent[] = [];
    const events = d(0).client.events({ type: ["network"] }, (e) => seen.push(e));
    try {
      await events.ready;
      const name = `cnmtest-${tag}`;
      const created = await d(0).client.createNetwork({ Name: name, Driver: "bridge", CheckDuplicate: true });
      assert.match(created.Id, /^[0-9a-f]{64}$/);
      const inspected = await d(0).client.inspectNetwork(created.Id);
      assert.equal(inspected.Name, name);
      assert.deepEqual(inspected.Containers, {});
      assert.deepEqual((await d(0).client.listNetworks({ name: [name] })).map((n) => n.Id), [created.Id]);
      const duplicate = await d(0).client.createNetwork({ Name: name, CheckDuplicate: true }).catch((e: unknown) => e);
      assert.ok(duplicate instanceof EngineApiError && duplicate.status === 409, `duplicate: ${String(duplicate)}`);
      await d(0).client.deleteNetwork(created.Id);
      const missing = await d(0).client.inspectNetwork(created.Id).catch((e: unknown) => e);
      assert.ok(missing instanceof EngineApiError && missing.status === 404, `after delete: ${String(missing)}`);
      const deadline = Date.now() + 5000;
      const actions = () => seen.filter((e) => e.Actor.ID === created.Id).map((e) => e.Action);
      while (!actions().includes("destroy") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(actions(), ["create", "destroy"]);
    } finally {
      events.close();
    }
    assert.equal(await events.ended, undefined);
  });

  it("tells a running container's endpoint, on the container and on the network", async () => {
    const id = (await dockerOk(d(0), ["run", "-d", "--name", `c-${tag}`, "--network-alias", "web", BUSYBOX_IMAGE, "sleep", "600"])).trim();
    try {
      const c = await d(0).client.inspectContainer(id);
      assert.equal(c.Name, `/c-${tag}`);
      const ep = c.NetworkSettings.Networks["bridge"];
      assert.ok(ep && ep.EndpointID !== "" && ep.IPAddress !== "", JSON.stringify(c.NetworkSettings));
      const onNetwork = (await d(0).client.inspectNetwork("bridge")).Containers[id];
      assert.equal(onNetwork?.EndpointID, ep.EndpointID);
      assert.equal(onNetwork?.IPv4Address, `${ep.IPAddress}/${ep.IPPrefixLen}`);
      assert.ok((await d(0).client.listContainers()).some((x) => x.Id === id));
    } finally {
      await dockerOk(d(0), ["rm", "-f", id]);
    }
  });

  it("streams a container's connect, die, disconnect and destroy on a user network", async () => {
    const network = await d(0).client.createNetwork({ Name: `ev-${tag}`, Driver: "bridge" });
    const seen: EngineEvent[] = [];
    const events = d(0).client.events({ type: ["network", "container"] }, (e) => seen.push(e));
    try {
      await events.ready;
      const id = (await dockerOk(d(0), ["run", "-d", "--network", `ev-${tag}`, BUSYBOX_IMAGE, "sleep", "600"])).trim();
      await dockerOk(d(0), ["rm", "-f", id]);
      const mine = () =>
        seen
          .filter((e) => e.Actor.ID === id || (e.Actor.ID === network.Id && e.Actor.Attributes["container"] === id))
          .map((e) => `${e.Type} ${e.Action}`);
      const deadline = Date.now() + 5000;
      while (!mine().includes("container destroy") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const order = ["container create", "network connect", "container start", "container die", "network disconnect", "container destroy"];
      assert.deepEqual(mine().filter((a) => order.includes(a)), order, mine().join(", "));
    } finally {
      events.close();
      await d(0).client.deleteNetwork(network.Id);
    }
  });

  it("gives each dockerd only its own /run/docker/plugins", async () => {
    writeFileSync(join(d(0).pluginDir, `dummy-${tag}.sock`), "");
    // What dockerd itself sees: its mount namespace, entered from outside through its pid.
    const list = async (x: DockerdProcess) => {
      assert.ok(x.pid !== undefined, "dockerd is not running");
      const r = await runChecked(["nsenter", `--target=${x.pid}`, "--mount", "--", "ls", "-A", "/run/docker/plugins"]);
      return r.stdout.split("\n").filter(Boolean);
    };
    assert.deepEqual(await list(d(0)), [`dummy-${tag}.sock`]);
    assert.deepEqual(await list(d(1)), []);
    // The same seen from the machine's side (exec: its network, mount and PID namespaces).
    assert.equal((await d(1).exec(["ls", "-A", "/run/docker/plugins"])).stdout, "");
    assert.ok(!existsSync(`/run/docker/plugins/dummy-${tag}.sock`), "the dummy reached the machine's own /run/docker/plugins");
  });

  it("restarts on the same state", async () => {
    await d(1).stop();
    await assert.rejects(d(1).client.ping(), EngineUnreachableError);
    const t = Date.now();
    await d(1).start();
    console.log(`dockerd restarted in ${Date.now() - t} ms`);
    await importBusyboxImage(d(1).client);
    assert.match(await dockerOk(d(1), ["run", "--rm", BUSYBOX_IMAGE, "hostname"]), /^[0-9a-f]{12}\n$/);
  });

  it("says when nobody answers on a socket", async () => {
    const err = await new EngineClient(`unix://${join(d(0).dir, "nobody.sock")}`).ping().catch((e: unknown) => e);
    assert.ok(err instanceof EngineUnreachableError && err.code === "ENOENT", String(err));
  });

  it("leaves nothing after close, even killed -9 with a container running", async () => {
    await dockerOk(d(1), ["run", "-d", BUSYBOX_IMAGE, "sleep", "600"]);
    await d(1).kill();
    const t = Date.now();
    await Promise.all(dockerds.map((x) => x.close()));
    console.log(`two dockerd closed in ${Date.now() - t} ms`);
    for (const x of dockerds) {
      assert.deepEqual(x.leftovers(), []);
      assert.ok(!existsSync(x.dataRoot), `${x.dataRoot} left`);
    }
    const b = bed;
    assert.ok(b);
    await b.close();
    assert.ok(isClean(b.leftovers()), JSON.stringify(b.leftovers()));
  });
});

describe("a dockerd outside any testbed", () => {
  it("gets a network namespace of its own and leaves the machine's untouched", async () => {
    const rootState = async () => ({
      links: (await runChecked(["ip", "-o", "link", "show"])).stdout.split("\n").map((l) => l.split(":")[1]?.trim()).filter(Boolean).sort(),
      tables: (await runChecked(["nft", "list", "tables"])).stdout,
    });
    const before = await rootState();
    const dir = mkdtempSync(join(tmpdir(), "cnm-dockerd-"));
    const dockerd = new DockerdProcess({ dir: join(dir, "d") });
    try {
      await dockerd.start();
      await importBusyboxImage(dockerd.client);
      const out = await dockerOk(dockerd, ["run", "--rm", BUSYBOX_IMAGE, "ip", "-o", "-4", "addr", "show", "eth0"]);
      assert.match(out, /inet 172\.17\.0\.2\/16/);
      assert.equal((await dockerd.exec(["ip", "-br", "link", "show", "docker0"])).code, 0);
      assert.deepEqual(await rootState(), before, "dockerd changed the machine's own namespace");
    } finally {
      await dockerd.close();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.deepEqual(dockerd.leftovers(), []);
    assert.deepEqual(await rootState(), before);
  });
});
