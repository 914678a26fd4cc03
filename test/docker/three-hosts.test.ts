// One overlay across three hosts for real dockerd containers, without swarm:
// three testbed hosts with etcd, each with its cnmd and its own dockerd (data
// root, exec root, socket, and a private /run/docker/plugins), dockerd started
// with --dns <host address> where cnmd answers the cluster's names. A network
// made once appears in every dockerd; containers on each host reach each other
// by address and by name; a removed container's peer record leaves every
// table; a cnmd killed -9 comes back with its container still at its address;
// 30 containers started at once get 30 addresses.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { waitUntil } from "../../src/networkdb-node/launcher.js";
import { BUSYBOX_IMAGE, cnmdDockerArgs, DockerdProcess, importBusyboxImage, Testbed, type TestbedHost } from "../../src/testbed/index.js";

describe("one cnm overlay across three hosts' dockerd", () => {
  let bed: Testbed | undefined;
  const dockerds: DockerdProcess[] = [];
  const hosts = (): TestbedHost[] => bed?.hosts ?? assert.fail("the testbed did not start");

  const docker = async (i: number, args: string[], timeoutMs = 60_000): Promise<string> => {
    const d = dockerds[i] ?? assert.fail(`dockerd ${i + 1} did not start`);
    const r = await d.docker(args, { timeoutMs });
    assert.equal(r.code, 0, `docker ${args.join(" ")} on h${i + 1}: ${r.stderr}\n--- cnmd:\n${hosts()[i]!.logTail(2000)}`);
    return r.stdout;
  };
  const pings = async (i: number, container: string, target: string): Promise<boolean> =>
    (await dockerds[i]!.docker(["exec", container, "ping", "-c1", "-W2", target], { timeoutMs: 20_000 })).code === 0;
  const ipOf = async (i: number, container: string): Promise<string> =>
    (await docker(i, ["inspect", "-f", "{{.NetworkSettings.Networks.ov.IPAddress}}", container])).trim();
  const peerIps = async (h: TestbedHost): Promise<string[]> => {
    const r = await h.cnm(["cluster", "table", "ov", "overlay_peer_table", "--format", "json"]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => ((JSON.parse(l) as { Decoded?: { endpointIp?: string } }).Decoded?.endpointIp ?? "?").split("/")[0]!)
      .sort();
  };

  before(async () => {
    bed = await Testbed.start({
      hosts: 3,
      etcd: true,
      cnmdArgs: (h) => cnmdDockerArgs(h, { dns: true }),
      onProgress: (m) => console.log(`testbed: ${m}`),
    });
    const t = Date.now();
    for (const h of bed.hosts) dockerds.push(DockerdProcess.inHost(h, { extraArgs: ["--dns", h.address] }));
    await Promise.all(dockerds.map(async (d) => {
      await d.start();
      await importBusyboxImage(d.client);
    }));
    console.log(`three dockerd ${(await dockerds[0]!.version()).Version} with the image in ${Date.now() - t} ms`);
  });
  after(async () => {
    const closed = await Promise.allSettled(dockerds.map((d) => d.close()));
    await bed?.close();
    for (const r of closed) if (r.status === "rejected") throw r.reason;
  });

  it("an overlay network created once with cnm appears in all three dockerds", async () => {
    const made = await hosts()[0]!.cnm(["network", "create", "-d", "overlay", "--subnet", "10.94.0.0/24", "ov"]);
    assert.equal(made.code, 0, made.stderr);
    const t = Date.now();
    for (const [i] of dockerds.entries()) {
      await waitUntil(`ov in h${i + 1}'s dockerd`, async () => (await docker(i, ["network", "ls", "--format", "{{.Name}} {{.Driver}}"])).includes("ov cnm"), 15_000);
    }
    console.log(`ov listed by three dockerds ${Date.now() - t} ms after its creation`);
  });

  it("with a container on each host, every pair pings by address and by name", async () => {
    await Promise.all(dockerds.map((_, i) => docker(i, ["run", "-d", "--name", `c${i + 1}`, "--network", "ov", BUSYBOX_IMAGE, "sleep", "3600"])));
    const ips = await Promise.all(dockerds.map((_, i) => ipOf(i, `c${i + 1}`)));
    assert.equal(new Set(ips).size, 3, `addresses ${ips.join(", ")}`);
    for (const [i] of dockerds.entries()) {
      for (const [j] of dockerds.entries()) {
        if (i === j) continue;
        assert.ok(await pings(i, `c${i + 1}`, ips[j]!), `c${i + 1} on h${i + 1} cannot ping ${ips[j]}`);
        await waitUntil(`c${i + 1} pings c${j + 1} by name`, () => pings(i, `c${i + 1}`, `c${j + 1}`), 10_000);
      }
    }
  });

  it("a container on the overlay gets its way out as Docker gives it (dockerd's docker_gwbridge)", async () => {
    const routes = await docker(0, ["exec", "c1", "ip", "route"]);
    assert.match(routes, /default via \S+ dev eth1/, "the default route leaves through the second interface");
    assert.ok(await pings(0, "c1", hosts()[1]!.address), "c1 reaches host 2's underlay address through its host");
  });

  it("a container removed on host 2 becomes unreachable from host 1, and its peer record leaves every table", async () => {
    const ip2 = await ipOf(1, "c2");
    for (const h of hosts()) assert.ok((await peerIps(h)).includes(ip2), `${h.name} has no peer record of ${ip2}`);
    await docker(1, ["rm", "-f", "c2"]);
    for (const h of hosts()) await waitUntil(`${ip2} gone from ${h.name}'s peer table`, async () => !(await peerIps(h)).includes(ip2), 5000);
    assert.equal(await pings(0, "c1", ip2), false);
    // Its name went with it.
    await waitUntil("c2's name gone", async () => !(await pings(0, "c1", "c2")), 10_000);
  });

  it("a container that exits on its own takes its peer record with it", async () => {
    await docker(2, ["run", "-d", "--name", "brief", "--network", "ov", "--ip", "10.94.0.200", BUSYBOX_IMAGE, "sleep", "3"]);
    await waitUntil("brief's record on h1", async () => (await peerIps(hosts()[0]!)).includes("10.94.0.200"), 5000);
    await waitUntil("brief's record gone from h1 after it exited", async () => !(await peerIps(hosts()[0]!)).includes("10.94.0.200"), 15_000);
    await docker(2, ["rm", "brief"]);
  });

  it("cnmd on host 3 killed -9 and restarted: its container is reachable again within 5 s, at its old address", async () => {
    const ip3 = await ipOf(2, "c3");
    await hosts()[2]!.killDaemon();
    const t = Date.now();
    await hosts()[2]!.startDaemon();
    await waitUntil("c3 reachable from c1", () => pings(0, "c1", ip3), 5000);
    console.log(`c3 reachable from c1 ${Date.now() - t} ms after cnmd on h3 was started again`);
    assert.equal(await ipOf(2, "c3"), ip3);
    // And new containers start on host 3.
    assert.match(await docker(2, ["run", "--rm", "--network", "ov", BUSYBOX_IMAGE, "ping", "-c1", "-W2", "c1"]), /1 packets received/);
  });

  it("30 containers started at once across the three hosts get 30 distinct addresses, all reachable from host 1", async () => {
    const t = Date.now();
    await Promise.all(
      Array.from({ length: 30 }, (_, k) => docker(k % 3, ["run", "-d", "--name", `m${k}`, "--network", "ov", BUSYBOX_IMAGE, "sleep", "3600"], 120_000)),
    );
    console.log(`30 containers running ${Date.now() - t} ms after their start`);
    const ips = await Promise.all(Array.from({ length: 30 }, (_, k) => ipOf(k % 3, `m${k}`)));
    assert.equal(new Set(ips).size, 30, `addresses: ${ips.join(" ")}`);
    const script = ips.map((ip) => `ping -c1 -W2 ${ip} >/dev/null || echo unreachable ${ip}`).join("; ");
    const out = await docker(0, ["exec", "c1", "sh", "-c", script], 120_000);
    if (out.trim() !== "") {
      const bad = out.trim().split("\n").map((l) => l.split(" ")[1]!);
      const where = bad.map((ip) => `${ip} on h${(ips.indexOf(ip) % 3) + 1}`);
      const again = await docker(0, ["exec", "c1", "sh", "-c", bad.map((ip) => `ping -c1 -W2 ${ip} >/dev/null || echo still ${ip}`).join("; ")]);
      const fdb = await hosts()[0]!.exec(["sh", "-c", "for n in $(ip netns list | grep -o '^[^ ]*ov[^ ]*'); do ip netns exec $n bridge fdb show; ip netns exec $n ip neigh; done"]);
      console.log(`unreachable: ${where.join(", ")}; again: ${again.trim() || "all reachable"}; peers on h1: ${(await peerIps(hosts()[0]!)).join(" ")}\n${fdb.stdout}`);
    }
    assert.equal(out.trim(), "", out);
    await Promise.all(dockerds.map((_, i) => docker(i, ["rm", "-f", ...Array.from({ length: 10 }, (_, n) => `m${n * 3 + i}`)], 120_000)));
  });

  it("an overlay made with docker on host 2 appears in every dockerd, and docker network rm there removes it everywhere", async () => {
    const unnamed = await dockerds[1]!.docker(["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=overlay", "--subnet", "10.88.0.0/24", "dov"]);
    assert.match(unnamed.stderr, /an overlay reaches every host under one name: add -o cnm\.network=NAME/);
    await docker(1, ["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=overlay", "-o", "cnm.network=dov", "--subnet", "10.88.0.0/24", "dov"]);
    for (const i of [0, 2]) await waitUntil(`dov in h${i + 1}'s dockerd`, async () => (await docker(i, ["network", "ls", "--format", "{{.Name}}"])).split("\n").includes("dov"), 15_000);
    await docker(0, ["run", "-d", "--name", "d1", "--network", "dov", BUSYBOX_IMAGE, "sleep", "600"]);
    assert.match(await docker(2, ["run", "--rm", "--network", "dov", BUSYBOX_IMAGE, "ping", "-c1", "-W2", (await docker(0, ["inspect", "-f", "{{.NetworkSettings.Networks.dov.IPAddress}}", "d1"])).trim()]), /1 packets received/);
    await docker(0, ["rm", "-f", "d1"]);
    await docker(1, ["network", "rm", "dov"]);
    for (const i of [0, 2]) await waitUntil(`dov gone from h${i + 1}'s dockerd`, async () => !(await docker(i, ["network", "ls", "--format", "{{.Name}}"])).split("\n").includes("dov"), 15_000);
    assert.notEqual((await hosts()[0]!.cnm(["network", "inspect", "dov"])).code, 0, "and from cnm");
  });

  it("cnm network rm of the overlay takes it out of every dockerd", async () => {
    await docker(0, ["rm", "-f", "c1"]);
    await docker(2, ["rm", "-f", "c3"]);
    const rm = await hosts()[1]!.cnm(["network", "rm", "ov"]);
    assert.equal(rm.code, 0, rm.stderr);
    for (const [i] of dockerds.entries()) {
      const gone = async () => !(await docker(i, ["network", "ls", "--format", "{{.Name}}"])).split("\n").includes("ov");
      await waitUntil(`ov gone from h${i + 1}'s dockerd`, gone, 30_000).catch(async (err: unknown) => {
        const inspect = await dockerds[i]!.docker(["network", "inspect", "ov"]);
        const log = hosts()[i]!.logTail(3000).split("\n").filter((l) => !l.includes("docker plugin: ")).join("\n");
        throw new Error(`${String(err)}\n--- docker network inspect ov:\n${inspect.stdout}${inspect.stderr}\n--- cnmd:\n${log}`);
      });
    }
  });
});
