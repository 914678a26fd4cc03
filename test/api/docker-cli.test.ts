import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { DockerNetwork } from "../../src/api/index.js";
import { docker, dockerOk, request, startApi, type ApiFixture } from "./harness.js";

/** `docker network ls --format '{{json .}}'` rows. */
interface LsRow {
  ID: string;
  Name: string;
  Driver: string;
  Scope: string;
  IPv6: string;
  Internal: string;
  Labels: string;
}

const execFileAsync = promisify(execFile);

function inspectOne(out: string): DockerNetwork {
  const list = JSON.parse(out) as DockerNetwork[];
  assert.equal(list.length, 1);
  return list[0]!;
}

describe("the real docker CLI against cnm's API", () => {
  let fx: ApiFixture;
  let bridgeName: string;

  before(async () => {
    fx = await startApi();
    bridgeName = `${fx.prefix}br0`;
  });
  after(async () => {
    await fx.close();
  });

  const ls = async (...args: string[]): Promise<LsRow[]> =>
    (await dockerOk(fx, ["network", "ls", "--format", "{{json .}}", ...args]))
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as LsRow);

  it("negotiates the API version and reports the server", async () => {
    const out = await dockerOk(fx, ["version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}"]);
    assert.equal(out.trim(), "1.48 1.24 linux");
  });

  it("creates networks with every option and inspects them", async () => {
    const id = (
      await dockerOk(fx, [
        "network", "create", "--driver", "bridge",
        "--subnet", "10.245.0.0/24", "--ip-range", "10.245.0.128/25", "--gateway", "10.245.0.1",
        "--aux-address", "reserved=10.245.0.5",
        "--label", "env=test", "--label", "team=net", "--attachable",
        "-o", `com.docker.network.bridge.name=${bridgeName}`, "-o", "com.docker.network.driver.mtu=1400",
        "c-full",
      ])
    ).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const n = inspectOne(await dockerOk(fx, ["network", "inspect", "c-full"]));
    assert.equal(n.Id, id);
    assert.equal(n.Name, "c-full");
    assert.equal(n.Driver, "bridge");
    assert.equal(n.Scope, "local");
    assert.equal(n.EnableIPv4, true);
    assert.equal(n.EnableIPv6, false);
    assert.equal(n.Internal, false);
    assert.equal(n.Attachable, true);
    assert.equal(n.Ingress, false);
    assert.deepEqual(n.ConfigFrom, { Network: "" });
    assert.equal(n.ConfigOnly, false);
    assert.deepEqual(n.IPAM, {
      Driver: "default",
      Options: {},
      Config: [{ Subnet: "10.245.0.0/24", IPRange: "10.245.0.128/25", Gateway: "10.245.0.1", AuxiliaryAddresses: { reserved: "10.245.0.5" } }],
    });
    assert.deepEqual(n.Options, { "com.docker.network.bridge.name": bridgeName, "com.docker.network.driver.mtu": "1400" });
    assert.deepEqual(n.Labels, { env: "test", team: "net" });
    assert.deepEqual(n.Containers, {});
    // The options reached the kernel: the bridge has the asked name and MTU.
    const link = JSON.parse(execFileSync("ip", ["-j", "link", "show", bridgeName], { encoding: "utf8" }))[0];
    assert.equal(link.mtu, 1400);

    await dockerOk(fx, ["network", "create", "--internal", "c-int"]);
    assert.equal(inspectOne(await dockerOk(fx, ["network", "inspect", "c-int"])).Internal, true);

    await dockerOk(fx, ["network", "create", "--ipv6", "--subnet", "fd00:245::/64", "c-v6"]);
    const v6 = inspectOne(await dockerOk(fx, ["network", "inspect", "c-v6"]));
    assert.equal(v6.EnableIPv6, true);
    assert.ok(v6.IPAM.Config.some((c) => c.Subnet === "fd00:245::/64" && c.Gateway === "fd00:245::1"), JSON.stringify(v6.IPAM));
    assert.ok(v6.IPAM.Config.some((c) => c.Subnet?.includes(".")), "an IPv4 pool from the defaults as well");
  });

  it("lists networks with filters and --format", async () => {
    const all = await ls();
    assert.deepEqual(all.map((r) => r.Name).sort(), ["c-full", "c-int", "c-v6"]);
    const full = all.find((r) => r.Name === "c-full")!;
    assert.equal(full.Driver, "bridge");
    assert.equal(full.Scope, "local");
    assert.equal(full.IPv6, "false");
    assert.equal(full.Internal, "false");
    assert.match(full.Labels, /env=test/);
    assert.match(full.ID, /^[0-9a-f]{12}$/);
    assert.equal(all.find((r) => r.Name === "c-int")!.Internal, "true");
    assert.equal(all.find((r) => r.Name === "c-v6")!.IPv6, "true");
    assert.deepEqual((await ls("--filter", "name=c-full")).map((r) => r.Name), ["c-full"]);
    assert.deepEqual((await ls("--filter", "name=^c-(int|v6)$")).map((r) => r.Name).sort(), ["c-int", "c-v6"]);
    assert.deepEqual((await ls("--filter", "label=env=test")).map((r) => r.Name), ["c-full"]);
    assert.deepEqual((await ls("--filter", "label=team")).map((r) => r.Name), ["c-full"]);
    assert.deepEqual((await ls("--filter", `id=${full.ID.slice(0, 6)}`)).map((r) => r.Name), ["c-full"]);
    assert.equal((await ls("--filter", "driver=bridge")).length, 3);
    assert.equal((await ls("--filter", "driver=macvlan")).length, 0);
    const quiet = (await dockerOk(fx, ["network", "ls", "-q", "--filter", "name=c-full"])).trim();
    assert.equal(quiet, full.ID);
    const table = await dockerOk(fx, ["network", "ls"]);
    assert.match(table, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n/);
    const bad = await docker(fx, ["network", "ls", "--filter", "color=red"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Error response from daemon: invalid filter 'color'/);
  });

  it("connects and disconnects a sandbox by name, with --ip and --alias", async () => {
    const created = await request(fx.socketPath, "POST", "/sandboxes/create", { body: { Name: "c-sb", NetworkMode: "none" } });
    assert.equal(created.status, 201);
    const sbId = created.json<{ Id: string }>().Id;
    await dockerOk(fx, ["network", "connect", "--ip", "10.245.0.200", "--alias", "web", "--alias", "www", "c-full", "c-sb"]);
    const n = inspectOne(await dockerOk(fx, ["network", "inspect", "c-full"]));
    const c = n.Containers[sbId];
    assert.ok(c, JSON.stringify(n.Containers));
    assert.equal(c.Name, "c-sb");
    assert.equal(c.IPv4Address, "10.245.0.200/24");
    assert.match(c.EndpointID, /^[0-9a-f]{64}$/);
    const sb = (await request(fx.socketPath, "GET", "/sandboxes/c-sb")).json<{ Key: string; Networks: Record<string, { Aliases: string[] }> }>();
    assert.deepEqual(sb.Networks["c-full"]!.Aliases, ["web", "www"]);
    // The address is on the sandbox's interface in its namespace.
    const ns = sb.Key.slice(sb.Key.lastIndexOf("/") + 1);
    assert.match(execFileSync("ip", ["-n", ns, "-br", "addr"], { encoding: "utf8" }), /10\.245\.0\.200\/24/);

    // --ip6 and --alias on an IPv6 network: the address on the interface, the alias in the embedded DNS.
    await dockerOk(fx, ["network", "connect", "--ip6", "fd00:245::99", "--alias", "v6web", "c-v6", "c-sb"]);
    const v6view = (await request(fx.socketPath, "GET", "/sandboxes/c-sb")).json<{ Networks: Record<string, { GlobalIPv6Address: string; Aliases: string[] }> }>();
    assert.equal(v6view.Networks["c-v6"]!.GlobalIPv6Address, "fd00:245::99");
    assert.deepEqual(v6view.Networks["c-v6"]!.Aliases, ["v6web"]);
    assert.match(execFileSync("ip", ["-n", ns, "-br", "addr"], { encoding: "utf8" }), /fd00:245::99\/64/);
    // Asynchronously: the resolver answers from this process's event loop.
    const dig = async (name: string, type: string) =>
      (await execFileAsync("ip", ["netns", "exec", ns, "dig", "@127.0.0.11", "+short", "+tries=1", "+time=2", name, type])).stdout.trim();
    assert.equal(await dig("v6web", "AAAA"), "fd00:245::99");
    assert.equal(await dig("www", "A"), "10.245.0.200", "the aliases given by docker network connect --alias resolve");
    await dockerOk(fx, ["network", "disconnect", "c-v6", "c-sb"]);

    const again = await docker(fx, ["network", "connect", "c-full", "c-sb"]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Error response from daemon: endpoint with name c-sb already exists in network c-full/);
    const ghost = await docker(fx, ["network", "connect", "c-full", "ghost"]);
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr, /Error response from daemon: No such container: ghost/);
    const inUse = await docker(fx, ["network", "rm", "c-full"]);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /Error response from daemon: error while removing network: network c-full id [0-9a-f]{64} has active endpoints/);

    await dockerOk(fx, ["network", "disconnect", "c-full", "c-sb"]);
    assert.deepEqual(inspectOne(await dockerOk(fx, ["network", "inspect", "c-full"])).Containers, {});
    const notConnected = await docker(fx, ["network", "disconnect", "c-full", "c-sb"]);
    assert.equal(notConnected.code, 1);
    assert.match(notConnected.stderr, /is not connected to network c-full/);
    await dockerOk(fx, ["network", "connect", "c-int", sbId.slice(0, 12)]);
    assert.ok(inspectOne(await dockerOk(fx, ["network", "inspect", "c-int"])).Containers[sbId]);
  });

  it("exits with Docker's messages for a duplicate name and an unknown network", async () => {
    const dup = await docker(fx, ["network", "create", "c-full"]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /Error response from daemon: network with name c-full already exists/);
    const rm = await docker(fx, ["network", "rm", "c-nope"]);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /Error response from daemon: network c-nope not found/);
    const inspect = await docker(fx, ["network", "inspect", "c-nope"]);
    assert.equal(inspect.code, 1);
    assert.match(inspect.stderr, /c-nope/);
    const badSubnet = await docker(fx, ["network", "create", "--subnet", "10.246.0.1/24", "c-bad"]);
    assert.equal(badSubnet.code, 1);
    assert.match(badSubnet.stderr, /invalid subnet 10\.246\.0\.1\/24: it should be 10\.246\.0\.0\/24/);
    const badDriver = await docker(fx, ["network", "create", "--driver", "nosuch", "c-bad"]);
    assert.equal(badDriver.code, 1);
    assert.match(badDriver.stderr, /plugin "nosuch" not found/);
  });

  it("removes and prunes networks", async () => {
    assert.equal((await dockerOk(fx, ["network", "rm", "c-v6"])).trim(), "c-v6");
    // c-int still has the sandbox: prune keeps it, removes the unused c-full.
    const pruned = await dockerOk(fx, ["network", "prune", "-f"]);
    assert.match(pruned, /Deleted Networks:\nc-full\n/);
    assert.deepEqual((await ls()).map((r) => r.Name), ["c-int"]);
    assert.equal((await request(fx.socketPath, "DELETE", "/sandboxes/c-sb")).status, 204);
    const label = await dockerOk(fx, ["network", "prune", "-f", "--filter", "label=nothing"]);
    assert.equal(label.trim(), "");
    await dockerOk(fx, ["network", "prune", "-f", "--filter", "until=0s"]);
    assert.deepEqual(await ls(), []);
  });
});
