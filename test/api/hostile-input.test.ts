import assert from "node:assert/strict";
import { Agent } from "node:http";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { parseIpValue } from "../../src/inet/index.js";
import { leftoverNamespaces } from "../integration/helpers.js";
import { request, startApi, type ApiFixture } from "./harness.js";

/** One generated request that must be refused with a 4xx. */
interface Hostile {
  readonly kind: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
}

const JSON_TYPE = { "content-type": "application/json" };
const json = (kind: string, method: string, path: string, body: unknown, headers: Record<string, string> = JSON_TYPE): Hostile => ({
  kind,
  method,
  path,
  body: JSON.stringify(body),
  headers,
});

const parses = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

const anyString = fc.string({ unit: "binary", maxLength: 40 });

/** Names the API must refuse: bad characters anywhere, a bad first character, empty, or far too long. */
const badName: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.string({ maxLength: 10 }), fc.constantFrom("/", "\\", "\0", "\n", "\r", "\t", " ", "\u007f", "\u202e", ":", "%", "?", "#", "é", "$(x)"), fc.string({ maxLength: 10 }))
    .map(([a, b, c]) => a + b + c),
  fc.tuple(fc.constantFrom(".", "-", "_"), fc.stringMatching(/^[a-z]{0,8}$/)).map(([a, b]) => a + b),
  fc.constant(""),
  fc.integer({ min: 129, max: 6000 }).map((n) => "n".repeat(n)),
);

/** Host names, domains and aliases that are not DNS names. */
const badDnsName: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.stringMatching(/^[a-z]{0,6}$/), fc.constantFrom("/", "\\", "\0", "\n", "\t", " ", ":", ";", "#", "é", "\u202e"), fc.stringMatching(/^[a-z]{0,6}$/))
    .map(([a, b, c]) => a + b + c),
  fc.constantFrom("-x", ".x", "x..y", "x-", "a".repeat(64), `${"a.".repeat(130)}a`),
);

/** References in a path: always invalid, so that no request can touch an existing object. */
const badRef = badName.filter((s) => s !== "");

/** Text that is not an IP address of either family (and not empty, which means "no address"). */
const notAnIp: fc.Arbitrary<string> = fc.oneof(
  anyString.filter((s) => s !== "" && parseIpValue(s) === undefined),
  fc.constantFrom("1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "::g", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", " 1.2.3.4", "1.2.3.4 ", "1.2.3.-4"),
  fc.tuple(fc.nat(255), fc.nat(255), fc.integer({ min: 256, max: 100000 })).map(([a, b, c]) => `${a}.${b}.${c}.1`),
);

/** Subnets that are not valid CIDRs, or have host bits set. */
const badSubnet: fc.Arbitrary<string> = fc.oneof(
  notAnIp.map((ip) => `${ip}/24`),
  fc.integer({ min: 33, max: 9999 }).map((n) => `10.250.0.0/${n}`),
  fc.integer({ min: 1, max: 255 }).map((n) => `10.250.0.${n}/24`),
  fc.constantFrom("10.250.0.0", "10.250.0.0/", "10.250.0.0/-1", "10.250.0.0/08", "/24", "fd00::1/64", "fd00::/129", "10.250.0.0/24/8"),
);

/** A create body whose IPAM config is invalid in exactly one of Docker's ways. */
const badIpamBody: fc.Arbitrary<object> = fc.oneof(
  badSubnet.map((s) => ({ Subnet: s })),
  notAnIp.map((g) => ({ Subnet: "10.250.0.0/24", Gateway: g })),
  fc.constantFrom("10.251.0.1", "fd00::1", "10.250.1.0").map((g) => ({ Subnet: "10.250.0.0/24", Gateway: g })),
  fc.oneof(badSubnet, fc.constantFrom("10.250.0.0/16", "10.251.0.0/25", "fd00::/120")).map((r) => ({ Subnet: "10.250.0.0/24", IPRange: r })),
  fc.oneof(notAnIp, fc.constant("10.9.9.9")).map((a) => ({ Subnet: "10.250.0.0/24", AuxiliaryAddresses: { x: a } })),
  fc.constant({ Gateway: "10.250.0.1" }),
).map((cfg) => ({ IPAM: { Config: [cfg] } }));

/** A JSON value that is not of the given schema type (and not null, which Docker accepts for any field). */
function wrongType(expected: "string" | "boolean" | "object" | "array" | "integer"): fc.Arbitrary<unknown> {
  return fc
    .oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }), fc.string({ maxLength: 8 }))
    .filter((v) => {
      switch (expected) {
        case "string":
          return typeof v !== "string";
        case "boolean":
          return typeof v !== "boolean";
        case "object":
          return typeof v !== "object" || Array.isArray(v);
        case "array":
          return !Array.isArray(v);
        case "integer":
          return !Number.isInteger(v) || Math.abs(v as number) > Number.MAX_SAFE_INTEGER;
      }
    });
}

/** Sets `value` at a dotted path inside a copy of `base`. */
function withField(base: object, path: string, value: unknown): object {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split(".");
  let at: Record<string, unknown> = copy;
  keys.slice(0, -1).forEach((k, i) => {
    at = (at[k] ??= /^[0-9]+$/.test(keys[i + 1]!) ? [] : {}) as Record<string, unknown>;
  });
  at[keys[keys.length - 1]!] = value;
  return copy;
}

type FieldType = "string" | "boolean" | "object" | "array" | "integer";
const TYPED_FIELDS: readonly { path: string; base: object; field: string; type: FieldType }[] = [
  ...(
    [
      ["Name", "string"], ["Driver", "string"], ["EnableIPv6", "boolean"], ["Internal", "boolean"], ["Attachable", "boolean"],
      ["IPAM", "object"], ["IPAM.Config", "array"], ["IPAM.Config.0.Subnet", "string"], ["IPAM.Config.0.Gateway", "string"],
      ["IPAM.Options", "object"], ["Labels", "object"], ["Labels.k", "string"], ["Options", "object"], ["ConfigFrom", "object"],
    ] as const
  ).map(([field, type]) => ({ path: "/networks/create", base: { Name: "hz-typed" }, field, type })),
  ...(
    [
      ["Container", "string"], ["EndpointConfig", "object"], ["EndpointConfig.Aliases", "array"], ["EndpointConfig.Aliases.0", "string"],
      ["EndpointConfig.IPAMConfig.IPv4Address", "string"], ["EndpointConfig.GwPriority", "integer"], ["EndpointConfig.DriverOpts", "object"],
      ["EndpointConfig.Links", "array"], ["EndpointConfig.IPPrefixLen", "integer"],
    ] as const
  ).map(([field, type]) => ({ path: "/networks/hz-net/connect", base: { Container: "hz-free" }, field, type })),
  ...([["Container", "string"], ["Force", "boolean"]] as const).map(([field, type]) => ({
    path: "/networks/hz-net/disconnect",
    base: { Container: "hz-sb" },
    field,
    type,
  })),
  ...(
    [
      ["Name", "string"], ["Hostname", "string"], ["Dns", "array"], ["Dns.0", "string"], ["ExtraHosts", "array"],
      ["PortBindings", "object"], ["PortBindings.80/tcp", "array"], ["PortBindings.80/tcp.0.HostPort", "string"], ["NetworkMode", "string"],
    ] as const
  ).map(([field, type]) => ({ path: "/sandboxes/create", base: { Name: "hz-typed" }, field: field.replace("80/tcp", "80/tcp"), type })),
];

const POST_PATHS = ["/networks/create", "/networks/hz-net/connect", "/networks/hz-net/disconnect", "/sandboxes/create"];

let seq = 0;
const fresh = (): string => `hz-new-${seq++}`;

const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  // Bodies that are not JSON, or JSON of the wrong shape.
  fc
    .tuple(fc.constantFrom(...POST_PATHS), fc.oneof(anyString.filter((s) => s.length > 0 && !parses(s)), fc.constantFrom("{", '{"Name":', "[", '{"Name":"x"} {}', "tru", '{"a":1,}', "{'Name':'x'}", "\u0000")))
    .map(([path, body]) => ({ kind: "bad JSON", method: "POST", path, body, headers: JSON_TYPE })),
  fc.tuple(fc.constantFrom(...POST_PATHS), fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer()), fc.boolean())).map(([path, v]) => json("non-object body", "POST", path, v)),
  // Wrong types in known fields.
  fc.constantFrom(...TYPED_FIELDS).chain((f) => wrongType(f.type).map((v) => json(`wrong type ${f.field}`, "POST", f.path, withField(f.base, f.field, v)))),
  // Bodies over the limit, with and without a length header.
  fc.tuple(fc.constantFrom(...POST_PATHS), fc.integer({ min: 1, max: 200_000 }), fc.boolean()).map(([path, extra, chunked]) => {
    const body = Buffer.alloc(1024 * 1024 + extra, 0x20);
    body.write('{"Name":"hz-huge","Labels":{"a":"', 0);
    return { kind: "huge body", method: "POST", path, body, headers: chunked ? { ...JSON_TYPE, "transfer-encoding": "chunked" } : JSON_TYPE };
  }),
  // Invalid CIDRs and addresses.
  badIpamBody.map((b) => json("bad IPAM", "POST", "/networks/create", { Name: fresh(), ...b })),
  fc.tuple(notAnIp, fc.constantFrom("IPv4Address", "IPv6Address")).map(([ip, field]) =>
    json("bad endpoint address", "POST", "/networks/hz-net/connect", { Container: "hz-free", EndpointConfig: { IPAMConfig: { [field]: ip } } }),
  ),
  fc.constantFrom("fd00::5", "10.0.0.1").map((ip) =>
    json("address of the other family", "POST", "/networks/hz-net/connect", { Container: "hz-free", EndpointConfig: { IPAMConfig: { IPv4Address: ip.includes(":") ? ip : undefined, IPv6Address: ip.includes(":") ? undefined : ip } } }),
  ),
  fc.oneof(anyString.filter((s) => s !== "" && !/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(s)), fc.constantFrom("01:00:5e:00:00:01", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")).map((mac) =>
    json("bad MAC", "POST", "/networks/hz-net/connect", { Container: "hz-free", EndpointConfig: { MacAddress: mac } }),
  ),
  badDnsName.map((alias) =>
    json("bad alias", "POST", "/networks/hz-net/connect", { Container: "hz-free", EndpointConfig: { Aliases: [alias] } }),
  ),
  // Names with path separators, control characters, thousands of bytes.
  badName.map((name) => json("bad network name", "POST", "/networks/create", { Name: name })),
  badName.map((name) => json("bad sandbox name", "POST", "/sandboxes/create", { Name: name })),
  fc.tuple(badRef, fc.constantFrom("connect", "disconnect")).map(([c, op]) => json("bad container ref", "POST", `/networks/hz-net/${op}`, { Container: c })),
  fc.tuple(badRef, fc.constantFrom("GET", "DELETE"), fc.constantFrom("networks", "sandboxes")).map(([ref, method, what]) => ({
    kind: `bad ${what} ref`,
    method,
    path: `/${what}/${encodeURIComponent(ref)}`,
  })),
  fc.tuple(badRef, fc.constantFrom("connect", "disconnect")).map(([ref, op]) => json("bad network ref", "POST", `/networks/${encodeURIComponent(ref)}/${op}`, { Container: "hz-free" })),
  // Sandbox fields that would reach /etc/hosts or resolv.conf.
  fc
    .oneof(
      badDnsName.map((h) => ({ Hostname: h })),
      badDnsName.map((d) => ({ Domainname: d })),
      badDnsName.map((d) => ({ DnsSearch: [d] })),
      notAnIp.map((ip) => ({ Dns: [ip] })),
      fc.oneof(badDnsName.filter((n) => !n.includes(":")).map((n) => `${n}:1.2.3.4`), notAnIp.map((ip) => `host:${ip}`), fc.constantFrom("nocolon", ":1.2.3.4")).map((h) => ({ ExtraHosts: [h] })),
      fc.oneof(fc.constantFrom("0/tcp", "65536/tcp", "80/icmp", "x/tcp", "-1", "80/"), anyString.filter((s) => !/^[0-9]{1,5}(\/(tcp|udp|sctp))?$/i.test(s))).map((k) => ({ PortBindings: { [k]: [{ HostPort: "1" }] } })),
      fc.oneof(fc.constantFrom("70000", "-1", "a", "10-5", "1-2-3", "0-5", "99999"), anyString.filter((s) => s !== "" && !/^[0-9]+(-[0-9]+)?$/.test(s))).map((p) => ({ PortBindings: { "80/tcp": [{ HostPort: p }] } })),
      notAnIp.map((ip) => ({ PortBindings: { "80/tcp": [{ HostIp: ip }] } })),
      fc.oneof(fc.constantFrom("bridge0", "container:x", "HOST", "ns:/proc/1/ns/net"), anyString.filter((s) => !["", "default", "bridge", "none", "host"].includes(s))).map((m) => ({ NetworkMode: m })),
    )
    .map((fields) => json("bad sandbox field", "POST", "/sandboxes/create", { Name: fresh(), ...fields })),
  // Driver options and network settings cnm refuses.
  fc
    .oneof(
      fc.constantFrom("a/b", "x".repeat(16), "", "a b", "eth0:1").map((v) => ({ Options: { "com.docker.network.bridge.name": v } })),
      fc.constantFrom("10", "abc", "70000", "-5", "1e3").map((v) => ({ Options: { "com.docker.network.driver.mtu": v } })),
      fc.constantFrom("maybe", "2").map((v) => ({ Options: { "com.docker.network.enable_ipv6": v } })),
      fc.constantFrom({ Ingress: true }, { ConfigOnly: true }, { ConfigFrom: { Network: "x" } }, { Scope: "swarm" }, { Driver: "overlay" }, { EnableIPv4: false }, { IPAM: { Driver: "nosuch" } }),
      fc.constantFrom("bridge", "host", "none", "default", "hz-net").map((Name) => ({ Name })),
    )
    .map((fields) => json("refused network", "POST", "/networks/create", { Name: fresh(), ...fields })),
  // Bad queries.
  fc
    .tuple(
      fc.constantFrom("/networks", "/sandboxes", "/networks/prune"),
      fc.oneof(
        anyString.filter((s) => s !== "" && !parses(s)),
        fc.constantFrom('{"color":["x"]}', '["name"]', '"name"', '{"name":"x"}', '{"name":[1]}', '{"name":{"x":"yes"}}', '{"until":["x","y"]}', "null", "1"),
        fc.stringMatching(/^[a-z]{1,10}$/).map((u) => JSON.stringify({ until: [u] })),
      ),
    )
    .map(([path, f]) => ({
      kind: "bad filters",
      method: path.endsWith("prune") ? "POST" : "GET",
      path: `${path}?filters=${encodeURIComponent(f)}`,
    })),
  fc.constantFrom('{"dangling":["maybe"]}', '{"dangling":["true","false"]}', '{"type":["other"]}', '{"until":["1h"]}', '{"label!":["x"]}').map((f) => ({
    kind: "bad list filters",
    method: "GET",
    path: `/networks?filters=${encodeURIComponent(f)}`,
  })),
  anyString
    .filter((s) => !["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False", ""].includes(s))
    .map((v) => ({ kind: "bad verbose", method: "GET", path: `/networks/hz-net?verbose=${encodeURIComponent(v)}` })),
  // Unknown methods and paths, versions out of range.
  fc.tuple(fc.constantFrom("FOO", "BREW", "PUT", "PATCH", "OPTIONS", "PROPFIND", "PURGE"), fc.constantFrom("/networks", "/networks/hz-net", "/_ping", "/sandboxes/hz-sb")).map(([method, path]) => ({
    kind: "unknown method",
    method,
    path,
  })),
  fc.tuple(fc.constantFrom("GET", "POST", "DELETE", "HEAD"), fc.array(fc.webSegment(), { minLength: 1, maxLength: 4 })).map(([method, segs]) => ({
    kind: "unknown path",
    method,
    path: `/zz${segs.map((s) => `/${s}`).join("")}`,
  })),
  fc.constantFrom("GET /networks/hz-net/connect", "DELETE /networks/hz-net/disconnect", "GET /networks/create", "PUT /sandboxes/create", "GET /v1.48", "POST /version").map((s) => {
    const [method, path] = s.split(" ") as [string, string];
    return { kind: "wrong method for path", method, path };
  }),
  fc.tuple(fc.constantFrom("0.1", "1.23", "1.49", "2.0", "9.99", "1.1000"), fc.constantFrom(...POST_PATHS)).map(([v, path]) => json("version out of range", "POST", `/v${v}${path}`, { Name: fresh(), Container: "hz-free" })),
  // Content types Docker refuses, with a body that would otherwise be accepted.
  fc.tuple(fc.constantFrom("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data", ";;", "application/json;;", "application/json; x", "application/jsonx"), fc.constantFrom(...POST_PATHS)).map(([type, path]) =>
    json("bad content type", "POST", path, { Name: fresh(), Container: "hz-free" }, { "content-type": type }),
  ),
  fc.constantFrom(...POST_PATHS).map((path) => ({ kind: "body without content type", method: "POST", path, body: JSON.stringify({ Name: fresh(), Container: "hz-free" }) })),
);

/** What the controller holds, for comparing before and after. */
function stateOf(fx: ApiFixture): string {
  return JSON.stringify({ networks: fx.controller.networks(), sandboxes: fx.controller.sandboxes() });
}

describe("hostile input", () => {
  let fx: ApiFixture;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  before(async () => {
    fx = await startApi();
    await fx.controller.createNetwork({ name: "hz-net", ipam: { config: [{ subnet: "10.249.0.0/24" }] } });
    await fx.controller.createSandbox({ name: "hz-sb" });
    await fx.controller.createSandbox({ name: "hz-free" });
    await fx.controller.connect("hz-net", "hz-sb");
  });
  after(async () => {
    agent.destroy();
    await fx.close();
  });

  it("refuses 10,000 generated malformed requests with a 4xx and a JSON message, and changes nothing", async () => {
    const before = stateOf(fx);
    const namespaces = leftoverNamespaces(fx.prefix).length;
    const kinds = new Map<string, number>();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(hostile, async (h) => {
        const r = await request(fx.socketPath, h.method, h.path, {
          agent,
          ...(h.body !== undefined ? { body: h.body } : {}),
          ...(h.headers ? { headers: h.headers } : {}),
        });
        kinds.set(h.kind, (kinds.get(h.kind) ?? 0) + 1);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const what = `${h.kind}: ${h.method} ${h.path.slice(0, 200)} -> ${r.status} ${r.text.slice(0, 300)}`;
        assert.ok(r.status >= 400 && r.status < 500, what);
        if (h.method === "HEAD") return; // no body on HEAD
        assert.equal(r.headers["content-type"], "application/json", what);
        const body = r.json<{ message?: unknown }>();
        assert.equal(typeof body.message, "string", what);
        assert.ok((body.message as string).length > 0 && (body.message as string).length <= 1000, what);
      }),
      { numRuns: 10_500, seed: 20_250_101 },
    );
    // The server is up and answering, and nothing changed underneath.
    assert.equal((await request(fx.socketPath, "GET", "/_ping")).status, 200);
    assert.equal(stateOf(fx), before);
    assert.equal(leftoverNamespaces(fx.prefix).length, namespaces);
    assert.ok(kinds.size >= 25, `request kinds generated: ${[...kinds.keys()].join(", ")}`);
    console.log(`hostile requests by kind: ${JSON.stringify(Object.fromEntries(kinds))}`);
    console.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  });
});
