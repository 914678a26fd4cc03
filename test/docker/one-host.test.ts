// Real containers from Docker's own daemon (Debian's docker.io 20.10) on cnm
// networks, on one host: cnmd is dockerd's network and IPAM plugin "cnm".
// Containers reach each other by address and by name, publish a port, leave
// nothing behind when removed, survive cnmd's crash, and wait for a cnmd that
// starts after dockerd; a plugin error reaches the user as a sentence.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BUSYBOX_IMAGE, cnmdDockerArgs, DockerdProcess, importBusyboxImage, Testbed, type TestbedHost } from "../../src/testbed/index.js";

/** `docker ...` that must succeed; its stdout. */
async function docker(d: DockerdProcess, args: string[], timeoutMs = 60_000): Promise<string> {
  const r = await d.docker(args, { timeoutMs });
  assert.equal(r.code, 0, `docker ${args.join(" ")}: ${r.stderr}\n--- dockerd:\n${d.logTail(1500)}\n--- cnmd:\n${cnmdLog()}`);
  return r.stdout;
}

/** The end of the cnmd log of the testbed's host, for failure messages. */
let cnmdLog = (): string => "";

/** The cnm network's endpoints and this host's links made by cnmd (veths named <prefix>h...). */
async function cnmSide(host: TestbedHost, network: string): Promise<{ endpoints: number; veths: string[] }> {
  const inspect = await host.cnm(["network", "inspect", "--format", "json", network]);
  assert.equal(inspect.code, 0, inspect.stderr);
  const [net] = JSON.parse(inspect.stdout) as { Containers: Record<string, unknown> }[];
  const links = await host.exec(["ip", "-br", "link"]);
  const veths = links.stdout.split("\n").map((l) => l.split(/[\s@]/)[0]!).filter((n) => n.startsWith(`${host.cnmdPrefix}h`));
  return { endpoints: Object.keys(net!.Containers).length, veths };
}

describe("dockerd's containers on cnm networks, one host", () => {
  let bed: Testbed | undefined;
  let dockerd: DockerdProcess | undefined;
  const d = (): DockerdProcess => dockerd ?? assert.fail("dockerd did not start");
  const h = (): TestbedHost => bed?.hosts[0] ?? assert.fail("the testbed did not start");

  before(async () => {
    bed = await Testbed.start({ hosts: 1, cnmdArgs: (host) => cnmdDockerArgs(host) });
    cnmdLog = () => h().logTail(2500);
    dockerd = DockerdProcess.inHost(h());
    await dockerd.start();
    const v = await dockerd.version();
    console.log(`dockerd ${v.Version} (API ${v.ApiVersion})`);
    await importBusyboxImage(dockerd.client);
  });
  after(async () => {
    await dockerd?.close();
    await bed?.close();
  });

  it("two containers on a cnm bridge network ping each other by address and by name", async () => {
    await docker(d(), ["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=bridge", "--subnet", "10.91.0.0/24", "br1"]);
    // The network is cnm's: its bridge, its IPAM, its firewall.
    const inspect = await h().cnm(["network", "ls"]);
    assert.match(inspect.stdout, /docker-[0-9a-f]{12}\s+bridge/);
    await docker(d(), ["run", "-d", "--name", "web", "--network", "br1", BUSYBOX_IMAGE, "sh", "-c", "echo from-web > /var/www/index.html; httpd -f -p 80 -h /var/www"]);
    const webIp = (await docker(d(), ["inspect", "-f", "{{.NetworkSettings.Networks.br1.IPAddress}}", "web"])).trim();
    assert.equal(webIp, "10.91.0.2");
    const out = await docker(d(), ["run", "--rm", "--network", "br1", BUSYBOX_IMAGE, "sh", "-c", `ping -c1 -W2 ${webIp} && ping -c1 -W2 web && wget -qO- http://web/`]);
    assert.match(out, /from-web/);
    assert.equal((out.match(/1 packets received/g) ?? []).length, 2);
  });

  it("Docker's flags shape the cnm network: --gateway, --ip-range, --internal, the MTU", async () => {
    await docker(d(), [
      "network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=bridge",
      "--subnet", "10.98.0.0/24", "--gateway", "10.98.0.254", "--ip-range", "10.98.0.128/25", "--internal",
      "-o", "com.docker.network.driver.mtu=1400", "shaped",
    ]);
    const out = await docker(d(), ["run", "--rm", "--network", "shaped", BUSYBOX_IMAGE, "sh", "-c", "ip -o link show eth0; ip -4 -o addr show eth0; ip route"]);
    assert.match(out, /mtu 1400/);
    assert.match(out, /inet 10\.98\.0\.128\/24/, "the first address of the range");
    assert.doesNotMatch(out, /default/, "an internal network gives no way out");
    const made = await h().cnm(["network", "inspect", "--format", "json", (await docker(d(), ["network", "inspect", "-f", "{{.Id}}", "shaped"])).trim()]);
    const [net] = JSON.parse(made.stdout) as { Internal: boolean; IPAM: { Config: { Subnet: string; Gateway: string; IPRange?: string }[] } }[];
    assert.equal(net!.Internal, true);
    assert.deepEqual(net!.IPAM.Config, [{ Subnet: "10.98.0.0/24", Gateway: "10.98.0.254", IPRange: "10.98.0.128/25" }]);
    await docker(d(), ["network", "rm", "shaped"]);
  });

  it("docker run -p publishes a port that answers from the host", async () => {
    await docker(d(), ["run", "-d", "--name", "pub", "-p", "8089:80", "--network", "br1", BUSYBOX_IMAGE, "sh", "-c", "echo published > /var/www/index.html; httpd -f -p 80 -h /var/www"]);
    let reply = "";
    for (let i = 0; i < 50 && !reply.includes("published"); i++) {
      reply = (await h().exec(["wget", "-qO-", "-T", "2", "http://127.0.0.1:8089/"])).stdout;
      if (!reply.includes("published")) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(reply, /published/);
  });

  it("docker rm -f leaves no veth, no endpoint and no address held", async () => {
    await docker(d(), ["rm", "-f", "web", "pub"]);
    const side = await cnmSide(h(), (await docker(d(), ["network", "inspect", "-f", "{{.Id}}", "br1"])).trim());
    assert.deepEqual(side, { endpoints: 0, veths: [] });
    // The address is free again: a container may ask for it by name.
    await docker(d(), ["run", "-d", "--name", "again", "--network", "br1", "--ip", "10.91.0.2", BUSYBOX_IMAGE, "sleep", "600"]);
    assert.equal((await docker(d(), ["inspect", "-f", "{{.NetworkSettings.Networks.br1.IPAddress}}", "again"])).trim(), "10.91.0.2");
  });

  it("a container keeps its address and connectivity while cnmd is killed -9 or stopped and restarted, and later starts work", async () => {
    await h().killDaemon();
    const during = await docker(d(), ["exec", "again", "ping", "-c1", "-W2", "10.91.0.1"]);
    assert.match(during, /1 packets received/);
    await h().startDaemon();
    assert.match(await docker(d(), ["run", "--rm", "--network", "br1", BUSYBOX_IMAGE, "ping", "-c1", "-W2", "again"]), /1 packets received/);
    assert.equal((await docker(d(), ["inspect", "-f", "{{.NetworkSettings.Networks.br1.IPAddress}}", "again"])).trim(), "10.91.0.2");
    // A clean stop (SIGTERM) and start as well: the container never notices.
    await h().stopDaemon();
    assert.match(await docker(d(), ["exec", "again", "ping", "-c1", "-W2", "10.91.0.1"]), /1 packets received/);
    await h().startDaemon();
    assert.match(await docker(d(), ["run", "--rm", "--network", "br1", BUSYBOX_IMAGE, "ping", "-c1", "-W2", "again"]), /1 packets received/);
    await docker(d(), ["rm", "-f", "again"]);
  });

  it("a container started while cnmd is away waits for it within Docker's retry window", async () => {
    await h().stopDaemon();
    const run = d().docker(["run", "--rm", "--network", "br1", BUSYBOX_IMAGE, "ping", "-c1", "-W2", "10.91.0.1"], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2500));
    await h().startDaemon();
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1 packets received/);
  });

  it("a cnmd away longer than Docker's retry window gets the user Docker's error naming the plugin's socket", async () => {
    await h().stopDaemon();
    const t = Date.now();
    const r = await d().docker(["run", "--rm", "--network", "br1", BUSYBOX_IMAGE, "true"], { timeoutMs: 60_000 });
    const waited = Date.now() - t;
    await h().startDaemon();
    console.log(`docker run failed after ${waited} ms: ${r.stderr.trim()}`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /dial unix \/run\/docker\/plugins\/cnm\.sock: connect: no such file or directory/);
    assert.ok(waited > 10_000, "Docker retried first");
    assert.match(await docker(d(), ["run", "--rm", "--network", "br1", BUSYBOX_IMAGE, "ping", "-c1", "-W2", "10.91.0.1"]), /1 packets received/);
  });

  it("a Docker network bound to an existing cnm network shares it with cnm's own sandboxes", async () => {
    const made = await h().cnm(["network", "create", "--subnet", "10.93.0.0/24", "shared"]);
    assert.equal(made.code, 0, made.stderr);
    // dockerd refuses a pool it finds routed on the host unless the user named it: cnm says so.
    const unnamed = await d().docker(["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "--ipam-opt", "cnm.network=shared", "-o", "cnm.network=shared", "dshared"]);
    assert.match(unnamed.stderr, /IpamDriver\.RequestPool: dockerd refuses subnet 10\.93\.0\.0\/24 of cnm network shared because it is routed on this host; name it: --subnet 10\.93\.0\.0\/24/);
    await docker(d(), ["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "--ipam-opt", "cnm.network=shared", "-o", "cnm.network=shared", "--subnet", "10.93.0.0/24", "dshared"]);
    const ipam = JSON.parse(await docker(d(), ["network", "inspect", "-f", "{{json .IPAM.Config}}", "dshared"])) as { Subnet: string }[];
    assert.deepEqual(ipam.map((c) => c.Subnet), ["10.93.0.0/24"]);
    const sb = await h().cnm(["sandbox", "create", "--network", "shared", "cnm-side"]);
    assert.equal(sb.code, 0, sb.stderr);
    const r = await d().docker(["run", "--rm", "--network", "dshared", BUSYBOX_IMAGE, "sh", "-c", "ip -4 -o addr show eth0; ip route show default; ping -c1 -W2 10.93.0.2"], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `${r.stderr}\n${h().logTail(3000)}`);
    const out = r.stdout;
    assert.match(out, /inet 10\.93\.0\.3\/24/);
    // The gateway is the cnm network's, which came with the pool.
    assert.match(out, /default via 10\.93\.0\.1 dev eth0/);
    assert.match(out, /1 packets received/);
    await h().cnm(["sandbox", "rm", "cnm-side"]);
    await docker(d(), ["network", "rm", "dshared"]);
    // Unbinding leaves the cnm network as it was.
    assert.equal((await h().cnm(["network", "inspect", "shared"])).code, 0);
  });

  it("endpoints of containers dockerd forgot while cnmd was away are removed when cnmd comes back", async () => {
    await docker(d(), ["run", "-d", "--name", "doomed", "--stop-timeout", "1", "--network", "br1", "--ip", "10.91.0.9", BUSYBOX_IMAGE, "sleep", "600"]);
    const brId = (await docker(d(), ["network", "inspect", "-f", "{{.Id}}", "br1"])).trim();
    assert.equal((await cnmSide(h(), brId)).endpoints, 1);
    await h().stopDaemon();
    let t = Date.now();
    await d().kill();
    await d().start();
    // dockerd stopped the container at its start, and could not tell cnmd.
    assert.match(await docker(d(), ["inspect", "-f", "{{.State.Status}}", "doomed"]), /exited/);
    console.log(`dockerd restarted without its plugin in ${Date.now() - t} ms`);
    t = Date.now();
    await h().startDaemon();
    let side = await cnmSide(h(), brId);
    while (side.endpoints > 0 && Date.now() - t < 30_000) {
      await new Promise((r) => setTimeout(r, 250));
      side = await cnmSide(h(), brId);
    }
    console.log(`the forgotten endpoint went ${Date.now() - t} ms after cnmd started`);
    assert.deepEqual(side, { endpoints: 0, veths: [] });
    // Its address is free again.
    await docker(d(), ["rm", "-f", "doomed"]);
    await docker(d(), ["run", "--rm", "--network", "br1", "--ip", "10.91.0.9", BUSYBOX_IMAGE, "true"]);
  });

  it("docker network connect and disconnect a running container: a second interface comes and goes", async () => {
    await docker(d(), ["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=bridge", "--subnet", "10.89.0.0/24", "second"]);
    await docker(d(), ["run", "-d", "--name", "multi", "--network", "br1", BUSYBOX_IMAGE, "sleep", "600"]);
    await docker(d(), ["network", "connect", "second", "multi"]);
    assert.match(await docker(d(), ["exec", "multi", "ip", "-4", "-o", "addr", "show", "eth1"]), /inet 10\.89\.0\.2\/24/);
    assert.match(await docker(d(), ["exec", "multi", "ping", "-c1", "-W2", "10.89.0.1"]), /1 packets received/);
    const secondId = (await docker(d(), ["network", "inspect", "-f", "{{.Id}}", "second"])).trim();
    assert.equal((await cnmSide(h(), secondId)).endpoints, 1);
    await docker(d(), ["network", "disconnect", "second", "multi"]);
    assert.notEqual((await d().docker(["exec", "multi", "ip", "link", "show", "eth1"])).code, 0, "eth1 is gone");
    assert.deepEqual(await cnmSide(h(), secondId), { endpoints: 0, veths: (await cnmSide(h(), secondId)).veths });
    assert.match(await docker(d(), ["exec", "multi", "ping", "-c1", "-W2", "10.91.0.1"]), /1 packets received/, "still on br1");
    await docker(d(), ["rm", "-f", "multi"]);
    await docker(d(), ["network", "rm", "second"]);
    assert.deepEqual((await cnmSide(h(), (await docker(d(), ["network", "inspect", "-f", "{{.Id}}", "br1"])).trim())).veths, []);
  });

  it("a macvlan network made from Docker puts containers straight on the host's segment", async () => {
    await docker(d(), [
      "network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=macvlan", "-o", "parent=eth0",
      "--subnet", "198.51.100.0/24", "--ip-range", "198.51.100.192/27", "--gateway", "198.51.100.254", "mv",
    ]);
    await docker(d(), ["run", "-d", "--name", "mv1", "--network", "mv", BUSYBOX_IMAGE, "sleep", "600"]);
    const out = await docker(d(), ["run", "--rm", "--network", "mv", BUSYBOX_IMAGE, "ping", "-c1", "-W2", "198.51.100.192"]);
    assert.match(out, /1 packets received/);
    const mvId = (await docker(d(), ["network", "inspect", "-f", "{{.Id}}", "mv"])).trim();
    const [net] = JSON.parse((await h().cnm(["network", "inspect", "--format", "json", mvId])).stdout) as { Driver: string; Options: Record<string, string> }[];
    assert.equal(net!.Driver, "macvlan");
    assert.equal(net!.Options["parent"], "eth0");
    await docker(d(), ["rm", "-f", "mv1"]);
    await docker(d(), ["network", "rm", "mv"]);
  });

  it("docker network rm removes the cnm network it made", async () => {
    const id = (await docker(d(), ["network", "inspect", "-f", "{{.Id}}", "br1"])).trim();
    await docker(d(), ["network", "rm", "br1"]);
    const gone = await h().cnm(["network", "inspect", id]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /not found/);
  });

  it("a plugin error reaches the docker CLI as a readable message", async () => {
    const bare = await d().docker(["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "nothing"]);
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /NetworkDriver\.CreateNetwork: a Docker network on cnm needs -o cnm\.network=NAME \(an existing cnm network\) or -o cnm\.driver=bridge\|overlay\|macvlan/);
    const missing = await d().docker(["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "--ipam-opt", "cnm.network=nope", "-o", "cnm.network=nope", "n2"]);
    assert.match(missing.stderr, /IpamDriver\.RequestPool: cnm network nope \(--ipam-opt cnm\.network\) not found/);
    const taken = await d().docker(["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=bridge", "--subnet", "10.93.0.0/24", "n3"]);
    assert.notEqual(taken.code, 0);
    console.log(`a subnet cnm already uses: ${taken.stderr.trim()}`);
    assert.match(taken.stderr, /NetworkDriver\.CreateNetwork: .*10\.93\.0\.0\/24/);
  });
});
