import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import type { DockerNetwork, DockerSandbox } from "../../src/api/index.js";
import { request, startApi, type ApiFixture, type HttpResult } from "./harness.js";

function assertError(r: HttpResult, status: number, message: RegExp): void {
  assert.equal(r.status, status, `status of ${r.text}`);
  assert.match(String(r.headers["content-type"]), /^application\/json$/);
  const body = r.json<{ message: string }>();
  assert.deepEqual(Object.keys(body), ["message"]);
  assert.match(body.message, message);
}

/** Writes raw bytes on a new connection and returns everything the server sends back before closing. */
function rawExchange(socketPath: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let out = "";
    s.on("data", (d) => (out += d.toString("utf8")));
    s.on("end", () => resolve(out));
    s.on("error", reject);
    s.write(bytes);
  });
}

describe("HTTP API over the unix socket", () => {
  let fx: ApiFixture;
  const call = (method: string, path: string, body?: string | Buffer | object, headers?: Record<string, string>) =>
    request(fx.socketPath, method, path, { ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

  before(async () => {
    fx = await startApi();
  });
  after(async () => {
    await fx.close();
  });

  it("listens on a socket with mode 0660", () => {
    const st = statSync(fx.socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  it("answers /_ping (GET and HEAD) and /version with Docker's headers, with and without a version prefix", async () => {
    for (const path of ["/_ping", "/v1.48/_ping", "/v1.24/_ping"]) {
      const r = await call("GET", path);
      assert.equal(r.status, 200);
      assert.equal(r.text, "OK");
      assert.equal(r.headers["api-version"], "1.48");
      assert.equal(r.headers["ostype"], "linux");
      assert.equal(r.headers["docker-experimental"], "false");
      assert.equal(r.headers["cache-control"], "no-cache, no-store, must-revalidate");
      assert.equal(r.headers["pragma"], "no-cache");
    }
    const head = await call("HEAD", "/_ping");
    assert.equal(head.status, 200);
    assert.equal(head.headers["api-version"], "1.48");
    assert.equal(head.text, "");
    const v = (await call("GET", "/v1.48/version")).json<Record<string, unknown>>();
    assert.equal(v["ApiVersion"], "1.48");
    assert.equal(v["MinAPIVersion"], "1.24");
    assert.equal(v["Os"], "linux");
    assert.equal(typeof v["Version"], "string");
    assert.ok(Array.isArray(v["Components"]));
    assertError(await call("GET", "/v1.12/version"), 400, /client version 1.12 is too old\. Minimum supported API version is 1\.24/);
    assertError(await call("GET", "/v1.99/networks"), 400, /client version 1.99 is too new\. Maximum supported API version is 1\.48/);
  });

  it("answers unknown paths and methods with 404 page not found, and garbage with a JSON 4xx", async () => {
    assertError(await call("GET", "/containers/json"), 404, /^page not found$/);
    assertError(await call("PATCH", "/networks"), 404, /^page not found$/);
    assertError(await call("GET", "/v1.48/networks/a/b/c"), 404, /^page not found$/);
    assertError(await call("GET", "/networks/%zz"), 400, /malformed URL/);
    const unknownMethod = await rawExchange(fx.socketPath, "FOO /networks HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(unknownMethod, /^HTTP\/1\.1 400 /);
    assert.match(unknownMethod, /\{"message":"unknown HTTP method"\}$/);
    const hugeHeader = await rawExchange(fx.socketPath, `GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20000)}\r\n\r\n`);
    assert.match(hugeHeader, /^HTTP\/1\.1 431 /);
    assert.match(hugeHeader, /"message":"request line or headers are too large"/);
  });

  it("creates networks as Docker does: 201 with Id and Warning, and the errors Docker gives", async () => {
    const r = await call("POST", "/v1.48/networks/create", {
      Name: "h-one",
      Driver: "bridge",
      IPAM: { Driver: "default", Config: [{ Subnet: "10.241.0.0/24", Gateway: "10.241.0.1" }], Options: {} },
      Labels: { tier: "web" },
      Options: {},
      ConfigFrom: null,
      Unknown: { ignored: true },
    });
    assert.equal(r.status, 201);
    const created = r.json<{ Id: string; Warning: string }>();
    assert.match(created.Id, /^[0-9a-f]{64}$/);
    assert.equal(created.Warning, "");
    assertError(await call("POST", "/networks/create", { Name: "h-one" }), 409, /^network with name h-one already exists$/);
    assertError(await call("POST", "/networks/create", { Name: "bridge" }), 403, /operation is not permitted on predefined bridge network/);
    assertError(await call("POST", "/networks/create", { Name: "h-x", Driver: "overlay9" }), 404, /plugin "overlay9" not found/);
    assertError(
      await call("POST", "/networks/create", { Name: "h-x", IPAM: { Config: [{ Subnet: "10.242.0.5/24" }] } }),
      400,
      /invalid subnet 10\.242\.0\.5\/24: it should be 10\.242\.0\.0\/24/,
    );
    assertError(
      await call("POST", "/networks/create", { Name: "h-x", IPAM: { Config: [{ Subnet: "10.242.0.0/24", Gateway: "10.243.0.1" }] } }),
      400,
      /invalid gateway 10\.243\.0\.1: parent subnet 10\.242\.0\.0\/24 doesn't contain this address/,
    );
    assertError(
      await call("POST", "/networks/create", { Name: "h-x", IPAM: { Config: [{ Subnet: "10.242.0.0/24", IPRange: "10.242.0.0/16" }] } }),
      400,
      /CIDR block is bigger than its parent subnet/,
    );
    assertError(await call("POST", "/networks/create", { Name: "h-x", Ingress: true }), 400, /ingress/);
    assertError(await call("POST", "/networks/create", { Name: "h-x", ConfigOnly: true }), 400, /config-only/);
    assertError(await call("POST", "/networks/create", { Name: "h-x", Scope: "swarm" }), 400, /scope/);
    assertError(await call("POST", "/networks/create", { Name: "h-x", EnableIPv4: false }), 400, /IPv6-only/);
    assertError(await call("POST", "/networks/create", { Name: "h-x", Internal: "yes" }), 400, /^invalid JSON: Internal must be a boolean, not string$/);
    assertError(await call("POST", "/networks/create", { Name: "h-x", IPAM: { Config: [{ Subnet: 10 }] } }), 400, /IPAM\.Config\[0\]\.Subnet must be a string, not number/);
    assertError(await call("POST", "/networks/create", { Name: "h-x", Labels: { a: 1 } }), 400, /Labels\.a must be a string/);
    assertError(await call("POST", "/networks/create", { Name: "a/b" }), 400, /invalid network name "a\/b"/);
    assertError(await call("POST", "/networks/create", { Name: "x".repeat(300) }), 400, /longer than 128 characters/);
    assertError(await call("POST", "/networks/create", { Name: "a\nb" }), 400, /invalid network name "a\\nb"/);
    assertError(await call("POST", "/networks/create", ""), 400, /network name must not be empty/);
    assertError(await call("POST", "/networks/create", "{}", { "content-type": "text/plain" }), 400, /unsupported Content-Type header/);
    assertError(await call("POST", "/networks/create", "[1,2", { "content-type": "application/json" }), 400, /^invalid JSON/);
    assertError(await call("POST", "/networks/create", "[1]", { "content-type": "application/json" }), 400, /the body must be an object, not array/);
    assertError(await call("POST", "/networks/create", Buffer.alloc(2 * 1024 * 1024, 32), { "content-type": "application/json" }), 413, /larger than the limit/);
    // Go's decoder matches field names ignoring case.
    const lower = await call("POST", "/networks/create", { name: "h-lower", labels: { a: "b" } });
    assert.equal(lower.status, 201);
    assert.deepEqual((await call("GET", "/networks/h-lower")).json<DockerNetwork>().Labels, { a: "b" });
  });

  it("lists and inspects networks in Docker's shape, with Docker's filters", async () => {
    const list = (await call("GET", "/networks")).json<DockerNetwork[]>();
    const one = list.find((n) => n.Name === "h-one")!;
    assert.deepEqual(Object.keys(one), [
      "Name", "Id", "Created", "Scope", "Driver", "EnableIPv4", "EnableIPv6", "IPAM", "Internal", "Attachable",
      "Ingress", "ConfigFrom", "ConfigOnly", "Containers", "Options", "Labels",
    ]);
    assert.match(one.Created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.deepEqual(one.IPAM, { Driver: "default", Options: {}, Config: [{ Subnet: "10.241.0.0/24", Gateway: "10.241.0.1" }] });
    assert.equal(one.Scope, "local");
    const names = async (filters: object) =>
      (await call("GET", `/networks?filters=${encodeURIComponent(JSON.stringify(filters))}`)).json<DockerNetwork[]>().map((n) => n.Name).sort();
    assert.deepEqual(await names({ name: { "h-one": true } }), ["h-one"]);
    assert.deepEqual(await names({ name: ["^h-"] }), ["h-lower", "h-one"]);
    assert.deepEqual(await names({ name: { "(a+)+$": true } }), []);
    // Go's syntax, as Docker reads these filters: a flag group, Unicode classes, a named group.
    assert.deepEqual(await names({ name: ["(?i)^H-ONE$"] }), ["h-one"]);
    assert.deepEqual(await names({ name: ["^\\pL-(?P<rest>\\p{Latin}+)$"] }), ["h-lower", "h-one"]);
    assert.deepEqual(await names({ name: ["(?P<rest"] }), []);
    assert.deepEqual(await names({ id: [one.Id.slice(0, 10)] }), ["h-one"]);
    assert.deepEqual(await names({ label: ["tier=web"] }), ["h-one"]);
    assert.deepEqual(await names({ label: ["tier=db"] }), []);
    assert.deepEqual(await names({ driver: ["bridge"], scope: ["local"], type: ["custom"], dangling: ["true"] }), ["h-lower", "h-one"]);
    assert.deepEqual(await names({ type: ["builtin"] }), []);
    assertError(await call("GET", `/networks?filters=${encodeURIComponent('{"color":["x"]}')}`), 400, /invalid filter 'color'/);
    assertError(await call("GET", `/networks?filters=${encodeURIComponent('{"dangling":["maybe"]}')}`), 400, /invalid value for filter 'dangling'/);
    assertError(await call("GET", `/networks?filters=${encodeURIComponent('{"type":["other"]}')}`), 400, /invalid filter: 'type'='other'/);
    assertError(await call("GET", "/networks?filters=%7Bx"), 400, /invalid filters/);

    for (const ref of ["h-one", one.Id, one.Id.slice(0, 12)]) {
      assert.equal((await call("GET", `/v1.48/networks/${ref}`)).json<DockerNetwork>().Id, one.Id);
    }
    assert.equal((await call("GET", "/networks/h-one?verbose=true&scope=local")).status, 200);
    assertError(await call("GET", "/networks/h-one?verbose=maybe"), 400, /invalid value for verbose: maybe/);
    assertError(await call("GET", "/networks/h-one?scope=swarm"), 404, /network h-one not found/);
    assertError(await call("GET", "/networks/nope"), 404, /^network nope not found$/);
    assertError(await call("GET", `/networks/${"n".repeat(200)}`), 400, /longer than 128 characters/);
    assertError(await call("GET", "/networks/a%2Fb"), 400, /invalid network reference "a\/b"/);
  });

  it("creates, inspects, lists and removes sandboxes; connects and disconnects them like containers", async () => {
    await call("POST", "/networks/create", { Name: "h-pub", IPAM: { Config: [{ Subnet: "10.244.0.0/24" }] } });
    const created = await call("POST", "/v1.48/sandboxes/create", {
      Name: "h-sb",
      NetworkMode: "none",
      Hostname: "web",
      Domainname: "example.test",
      Dns: ["10.0.0.53"],
      DnsSearch: ["example.test"],
      ExtraHosts: ["db:10.0.0.7", "v6:fd00::7"],
      PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] },
    });
    assert.equal(created.status, 201);
    const id = created.json<{ Id: string }>().Id;
    assertError(await call("POST", "/sandboxes/create", { Name: "h-sb" }), 409, /already exists/);
    assertError(await call("POST", "/sandboxes/create", { Name: "../etc" }), 400, /invalid sandbox name/);
    assertError(await call("POST", "/sandboxes/create", { Name: "h-x", Hostname: "a b" }), 400, /invalid Hostname "a b"/);
    assertError(await call("POST", "/sandboxes/create", { Name: "h-x", ExtraHosts: ["evil\n1.2.3.4:1.1.1.1"] }), 400, /ExtraHosts host name/);
    assertError(await call("POST", "/sandboxes/create", { Name: "h-x", ExtraHosts: ["db:not-an-ip"] }), 400, /not an IP address/);
    assertError(await call("POST", "/sandboxes/create", { Name: "h-x", Dns: ["1.2.3.4.5"] }), 400, /invalid DNS server address/);
    assertError(await call("POST", "/sandboxes/create", { Name: "h-x", NetworkMode: "container:abc" }), 400, /invalid NetworkMode/);
    assertError(await call("POST", "/sandboxes/create", { Name: "h-x", PortBindings: { "80/tcp": "8080" } }), 400, /PortBindings\.80\/tcp must be an array/);

    const ok = await call("POST", "/v1.48/networks/h-pub/connect", {
      Container: "h-sb",
      EndpointConfig: { IPAMConfig: { IPv4Address: "10.244.0.10" }, Aliases: ["www"], Links: null, DNSNames: null, MacAddress: "" },
    });
    assert.equal(ok.status, 200, ok.text);
    assertError(await call("POST", "/networks/h-pub/connect", { Container: "h-sb" }), 403, /endpoint with name h-sb already exists in network h-pub/);
    assertError(await call("POST", "/networks/h-one/connect", { Container: "ghost" }), 404, /^No such container: ghost$/);
    assertError(await call("POST", "/networks/ghost/connect", { Container: "h-sb" }), 404, /^network ghost not found$/);
    assertError(await call("POST", "/networks/h-one/connect", { Container: "h-sb", EndpointConfig: { IPAMConfig: { IPv4Address: "fd00::1" } } }), 400, /invalid IPv4 address/);
    assertError(await call("POST", "/networks/h-one/connect", { Container: "h-sb", EndpointConfig: { Aliases: ["a;b"] } }), 400, /invalid alias/);
    assertError(await call("POST", "/networks/h-one/connect", { Container: "h-sb", EndpointConfig: { MacAddress: "01:00:5e:00:00:01" } }), 400, /multicast/);
    assertError(await call("POST", "/networks/h-one/connect", { Container: "h-sb", EndpointConfig: { GwPriority: 1.5 } }), 400, /GwPriority must be an integer/);
    assertError(await call("POST", "/networks/h-one/connect", { Container: "" }), 400, /must not be empty/);

    const sb = (await call("GET", `/sandboxes/${id.slice(0, 12)}`)).json<DockerSandbox>();
    assert.equal(sb.Id, id);
    assert.equal(sb.Name, "h-sb");
    assert.equal(sb.Hostname, "web");
    assert.match(sb.Key, /^\/run\/netns\//);
    assert.deepEqual(sb.ExtraHosts, ["db:10.0.0.7", "v6:fd00::7"]);
    assert.deepEqual(sb.PortBindings, { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] });
    const ep = sb.Networks["h-pub"]!;
    assert.equal(ep.IPAddress, "10.244.0.10");
    assert.equal(ep.IPPrefixLen, 24);
    assert.equal(ep.Gateway, "10.244.0.1");
    assert.deepEqual(ep.Aliases, ["www"]);
    assert.match(ep.MacAddress, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    // The ephemeral host port the driver bound, from endpointOperInfo.
    const bound = sb.Ports["80/tcp"];
    assert.ok(bound && bound.length === 1, JSON.stringify(sb.Ports));
    assert.equal(bound[0]!.HostIp, "127.0.0.1");
    assert.ok(Number(bound[0]!.HostPort) > 0);

    const net = (await call("GET", "/networks/h-pub")).json<DockerNetwork>();
    assert.deepEqual(net.Containers[id], { Name: "h-sb", EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: "10.244.0.10/24", IPv6Address: "" });
    // The list carries containers only for clients older than API 1.28, as Docker's does.
    assert.deepEqual((await call("GET", "/networks")).json<DockerNetwork[]>().find((n) => n.Name === "h-pub")!.Containers, {});
    assert.ok((await call("GET", "/v1.27/networks")).json<DockerNetwork[]>().find((n) => n.Name === "h-pub")!.Containers[id]);
    assert.deepEqual((await call("GET", "/sandboxes")).json<DockerSandbox[]>().map((s) => s.Name), ["h-sb"]);
    assert.deepEqual((await call("GET", `/sandboxes?filters=${encodeURIComponent('{"name":["^nomatch"]}')}`)).json<DockerSandbox[]>(), []);
    assert.deepEqual((await call("GET", `/sandboxes?filters=${encodeURIComponent('{"name":["(?i)^H-\\\\pL+$"]}')}`)).json<DockerSandbox[]>().map((s) => s.Name), ["h-sb"]);

    assertError(await call("DELETE", "/networks/h-pub"), 403, /has active endpoints/);
    assert.equal((await call("POST", "/networks/h-pub/disconnect", { Container: id, Force: false })).status, 200);
    assertError(await call("POST", "/networks/h-pub/disconnect", { Container: "h-sb" }), 404, new RegExp(`container ${id} is not connected to network h-pub`));
    assert.deepEqual((await call("GET", "/sandboxes/h-sb")).json<DockerSandbox>().Networks, {});
    assert.equal((await call("DELETE", "/sandboxes/h-sb")).status, 204);
    assertError(await call("DELETE", "/sandboxes/h-sb"), 404, /sandbox h-sb not found/);
    assert.equal((await call("DELETE", "/networks/h-pub")).status, 204);
    assertError(await call("DELETE", "/networks/h-pub"), 404, /network h-pub not found/);
  });

  it("prunes unused networks matching label and until filters, and reports their names", async () => {
    await call("POST", "/networks/create", { Name: "h-keep", Labels: { keep: "1" } });
    const byLabel = await call("POST", `/networks/prune?filters=${encodeURIComponent('{"label!":{"keep":true},"until":{"1h":true}}')}`);
    assert.equal(byLabel.status, 200);
    // Created less than an hour ago: nothing is older than "1h".
    assert.deepEqual(byLabel.json(), { NetworksDeleted: [] });
    const r = await call("POST", `/v1.48/networks/prune?filters=${encodeURIComponent('{"label!":["keep"]}')}`);
    assert.deepEqual(r.json<{ NetworksDeleted: string[] }>().NetworksDeleted.sort(), ["h-lower", "h-one"]);
    assert.deepEqual((await call("GET", "/networks")).json<DockerNetwork[]>().map((n) => n.Name), ["h-keep"]);
    assertError(await call("POST", `/networks/prune?filters=${encodeURIComponent('{"name":["x"]}')}`), 400, /invalid filter 'name'/);
    assertError(await call("POST", `/networks/prune?filters=${encodeURIComponent('{"until":["soon"]}')}`), 400, /failed to parse value as time or duration/);
    assert.deepEqual((await call("POST", "/networks/prune")).json(), { NetworksDeleted: ["h-keep"] });
  });
});
