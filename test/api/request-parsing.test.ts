import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HttpError } from "../../src/api/http-errors.js";
import { compareVersions, unsupportedVersionMessage } from "../../src/api/api-version.js";
import { matchesLabels, parseFilters } from "../../src/api/filters.js";
import { decodeJsonBody } from "../../src/api/json-body.js";
import { matchKeysToSchema, obj, str, stringMap } from "../../src/api/json-schema.js";
import { parseGoDurationMs, parseTimeFilter } from "../../src/api/timestamp.js";
import { parsePortBindings } from "../../src/api/sandbox-create.js";

function status400(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof HttpError && err.status === 400 && pattern.test(err.message));
}

describe("request parsing helpers", () => {
  it("compares API versions numerically and refuses those out of range with Docker's words", () => {
    assert.equal(compareVersions("1.9", "1.10"), -1);
    assert.equal(compareVersions("1.48", "1.48.0"), 0);
    assert.equal(unsupportedVersionMessage("1.48"), undefined);
    assert.equal(unsupportedVersionMessage("1.24"), undefined);
    assert.match(unsupportedVersionMessage("1.12")!, /client version 1.12 is too old. Minimum supported API version is 1.24/);
    assert.match(unsupportedVersionMessage("1.99")!, /client version 1.99 is too new. Maximum supported API version is 1.48/);
  });

  it("reads filters in both of Docker's JSON forms and refuses unknown keys", () => {
    const a = parseFilters('{"name":{"foo":true,"off":false},"label":{"x=y":true}}', ["name", "label"]);
    assert.deepEqual(a.get("name"), ["foo"]);
    assert.deepEqual(a.get("label"), ["x=y"]);
    assert.deepEqual(parseFilters('{"name":["a","b","a"]}', ["name"]).get("name"), ["a", "b"]);
    assert.equal(parseFilters(undefined, ["name"]).size, 0);
    status400(() => parseFilters('{"color":["red"]}', ["name"]), /invalid filter 'color'/);
    status400(() => parseFilters("{nope", ["name"]), /not JSON/);
    status400(() => parseFilters('["name"]', ["name"]), /JSON object/);
    status400(() => parseFilters('{"name":{"a":"yes"}}', ["name"]), /booleans/);
    status400(() => parseFilters('{"name":[1]}', ["name"]), /strings/);
  });

  it("matches label filters as Docker's MatchKVList: every term, key alone or key=value", () => {
    assert.equal(matchesLabels(["a"], { a: "1" }), true);
    assert.equal(matchesLabels(["a=1", "b"], { a: "1", b: "" }), true);
    assert.equal(matchesLabels(["a=2"], { a: "1" }), false);
    assert.equal(matchesLabels(["c"], {}), false);
    assert.equal(matchesLabels(["toString"], {}), false);
  });

  it("parses Go durations and Docker's time formats", () => {
    assert.equal(parseGoDurationMs("1h30m"), 5_400_000);
    assert.equal(parseGoDurationMs("1.5s"), 1500);
    assert.equal(parseGoDurationMs("-2m"), -120_000);
    assert.equal(parseGoDurationMs("10"), undefined);
    assert.equal(parseGoDurationMs("h"), undefined);
    const now = Date.UTC(2025, 0, 2);
    assert.equal(parseTimeFilter("24h", now), Date.UTC(2025, 0, 1));
    assert.equal(parseTimeFilter("2025-01-01T00:00:00Z", now), Date.UTC(2025, 0, 1));
    assert.equal(parseTimeFilter("2025-01-01T02:00:00+02:00", now), Date.UTC(2025, 0, 1));
    assert.equal(parseTimeFilter("1735689600", now), Date.UTC(2025, 0, 1));
    assert.equal(parseTimeFilter("1735689600.5", now), Date.UTC(2025, 0, 1) + 500);
    status400(() => parseTimeFilter("yesterday", now), /failed to parse value as time or duration/);
    status400(() => parseTimeFilter("", now), /value is empty/);
    status400(() => parseTimeFilter("2025-13-01", now), /out of range/);
  });

  it("decodes bodies as Docker's ReadJSON: empty is no body, JSON content type required otherwise", () => {
    assert.equal(decodeJsonBody(undefined, Buffer.alloc(0)), undefined);
    assert.equal(decodeJsonBody("application/json", Buffer.alloc(0)), undefined);
    assert.deepEqual(decodeJsonBody("application/json; charset=utf-8", Buffer.from('{"a":1}')), { a: 1 });
    assert.equal(decodeJsonBody("application/json", Buffer.from("null")), undefined);
    status400(() => decodeJsonBody("text/plain", Buffer.from("{}")), /unsupported Content-Type header \(text\/plain\): must be 'application\/json'/);
    status400(() => decodeJsonBody(undefined, Buffer.from("{}")), /malformed Content-Type header/);
    status400(() => decodeJsonBody("application/json", Buffer.from('{"a":')), /invalid JSON/);
    status400(() => decodeJsonBody("application/json", Buffer.from('{"a":1} x')), /invalid JSON/);
  });

  it("matches keys to the schema ignoring case, later keys winning, and refuses __proto__", () => {
    const schema = obj({ Name: str(), IPAM: obj({ Driver: str() }), Labels: stringMap });
    assert.deepEqual(matchKeysToSchema(schema, { name: "a", ipam: { driver: "d" }, Labels: { k: "v" }, Extra: 1 }), {
      Name: "a",
      IPAM: { Driver: "d" },
      Labels: { k: "v" },
      Extra: 1,
    });
    assert.deepEqual(matchKeysToSchema(schema, { Name: "a", NAME: "b" }), { Name: "b" });
    status400(() => matchKeysToSchema(schema, JSON.parse('{"__proto__": {"x": 1}}')), /__proto__/);
    status400(() => matchKeysToSchema(schema, JSON.parse('{"Labels": {"__proto__": "x"}}')), /__proto__/);
    assert.equal(({} as Record<string, unknown>)["x"], undefined);
  });

  it("reads Docker's PortBindings: ephemeral, fixed, ranges, host addresses, protocols", () => {
    assert.deepEqual(parsePortBindings({ "80/tcp": [{ HostIp: "", HostPort: "" }], "53/udp": [{ HostIp: "127.0.0.1", HostPort: "5353" }] }), [
      { proto: "tcp", containerPort: 80, hostPort: 0 },
      { proto: "udp", containerPort: 53, hostPort: 5353, hostIP: "127.0.0.1" },
    ]);
    assert.deepEqual(parsePortBindings({ "8080": [{ HostPort: "9000-9010" }] }), [{ proto: "tcp", containerPort: 8080, hostPort: 9000, hostPortEnd: 9010 }]);
    assert.deepEqual(parsePortBindings({ "80/tcp": null, "81/tcp": [] }), []);
    status400(() => parsePortBindings({ "0/tcp": [{}] }), /container port/);
    status400(() => parsePortBindings({ "80/icmp": [{}] }), /invalid port/);
    status400(() => parsePortBindings({ "80": [{ HostPort: "70000" }] }), /out of range/);
    status400(() => parsePortBindings({ "80": [{ HostPort: "9010-9000" }] }), /range/);
    status400(() => parsePortBindings({ "80": [{ HostIp: "1.2.3", HostPort: "1" }] }), /not an IP address/);
  });
});
