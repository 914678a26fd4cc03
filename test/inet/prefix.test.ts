import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Prefix, prefixContains, prefixesOverlap, prefixToString, readCidr, tryParsePrefix } from "../../src/inet/index.js";

function p(text: string): Prefix {
  const prefix = tryParsePrefix(text);
  assert.ok(prefix, text);
  return prefix;
}

describe("prefixes", () => {
  it("parse to canonical form (host bits cleared) and refuse nonsense", () => {
    assert.equal(prefixToString(p("172.18.0.5/16")), "172.18.0.0/16");
    assert.equal(prefixToString(p("FD00::1/64")), "fd00::/64");
    assert.equal(prefixToString(p("0.0.0.0/0")), "0.0.0.0/0");
    assert.equal(prefixToString(p("10.1.2.3/0")), "0.0.0.0/0");
    assert.equal(prefixToString(p("fd00:7b:1::5/64")), "fd00:7b:1::/64");
    for (const bad of ["172.18.0.0", "172.18.0.0/33", "fd00::/129", "x/8", "10.0.0.0/08", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "/8"]) {
      assert.equal(tryParsePrefix(bad), undefined, bad);
    }
  });

  it("say what is wrong with a malformed CIDR", () => {
    assert.deepEqual(readCidr("10.1.2.3"), { error: "expected address/prefix-length" });
    assert.deepEqual(readCidr("10.1.2/8"), { error: "not an IPv4 or IPv6 address" });
    assert.deepEqual(readCidr("10.1.2.3/33"), { error: "prefix length must be 0..32" });
    assert.deepEqual(readCidr("fd00::/129"), { error: "prefix length must be 0..128" });
    assert.deepEqual(readCidr("10.1.2.3/16"), { ip: { family: 4, value: 0x0a010203n }, bits: 16 }, "the address as written");
  });

  it("overlap and containment", () => {
    assert.ok(prefixesOverlap(p("10.0.0.0/8"), p("10.1.0.0/16")));
    assert.ok(prefixesOverlap(p("10.5.0.0/16"), p("10.0.0.0/8")));
    assert.ok(!prefixesOverlap(p("10.0.0.0/16"), p("10.1.0.0/16")));
    assert.ok(!prefixesOverlap(p("10.1.0.0/24"), p("10.1.1.0/24")));
    assert.ok(!prefixesOverlap(p("0.0.0.0/0"), p("::/0")), "families never overlap");
    assert.ok(prefixContains(p("10.0.0.0/8"), p("10.1.0.0/16")));
    assert.ok(!prefixContains(p("10.1.0.0/16"), p("10.0.0.0/8")));
  });
});
