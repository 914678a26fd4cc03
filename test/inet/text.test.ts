import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  IPv6OffsetFormatter,
  bigIntToGroups,
  formatIPv4,
  formatIPv6,
  formatIPv6Groups,
  groupsOffsetFrom,
  groupsToBigInt,
  parseIPv4,
  parseIPv6,
  unmapIPv4,
} from "../../src/inet/index.js";

/** The WHATWG URL parser serialises IPv6 hosts the RFC 5952 way: an independent oracle. */
function urlFormat(groups: number[]): string {
  const text = groups.map((g) => g.toString(16)).join(":");
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

// Groups biased towards zero so that "::" runs of every length show up.
const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
const groups8 = fc.array(group, { minLength: 8, maxLength: 8 });
const notMapped = (g: number[]) => !(g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff);

describe("IPv4 text", () => {
  it("round-trips every value", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        assert.equal(parseIPv4(formatIPv4(n)), n);
      }),
    );
  });

  it("refuses malformed input", () => {
    for (const bad of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d", " 1.2.3.4", "1.2.3.4/8"]) {
      assert.equal(parseIPv4(bad), undefined, bad);
    }
    assert.equal(parseIPv4("0.0.0.0"), 0);
    assert.equal(parseIPv4("255.255.255.255"), 0xffffffff);
  });
});

describe("IPv6 text", () => {
  it("formats like RFC 5952 (checked against the URL parser)", () => {
    fc.assert(
      fc.property(groups8.filter(notMapped), (g) => {
        assert.equal(formatIPv6Groups(g), urlFormat(g));
      }),
      { numRuns: 2000 },
    );
  });

  it("parses what it formats, and what others format", () => {
    fc.assert(
      fc.property(groups8, (g) => {
        const v = groupsToBigInt(g);
        assert.equal(parseIPv6(formatIPv6(v)), v);
        assert.equal(parseIPv6(g.map((x) => x.toString(16).padStart(4, "0")).join(":")), v);
        assert.deepEqual(bigIntToGroups(v), g);
      }),
      { numRuns: 2000 },
    );
  });

  it("handles the edge forms", () => {
    assert.equal(parseIPv6("::"), 0n);
    assert.equal(parseIPv6("::1"), 1n);
    assert.equal(parseIPv6("1::"), 1n << 112n);
    assert.equal(parseIPv6("::ffff:1.2.3.4"), 0xffff01020304n);
    assert.equal(formatIPv6(0xffff01020304n), "::ffff:1.2.3.4");
    assert.equal(unmapIPv4(0xffff01020304n), 0x01020304);
    assert.equal(unmapIPv4(1n), undefined);
    assert.equal(formatIPv6(0n), "::");
    assert.equal(formatIPv6(parseIPv6("2001:db8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
    for (const bad of ["", ":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "::g", "fe80::1%eth0", "1:", ":1", "1:2:3:4:5:6:7:8::"]) {
      assert.equal(parseIPv6(bad), undefined, bad);
    }
  });

  it("offset formatter and offset parser agree with BigInt arithmetic", () => {
    fc.assert(
      fc.property(groups8, fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (g, offset) => {
        const base = groupsToBigInt(g);
        const sum = base + BigInt(offset);
        fc.pre(sum < 1n << 128n);
        assert.equal(new IPv6OffsetFormatter(base).format(offset), formatIPv6(sum));
        assert.equal(groupsOffsetFrom(bigIntToGroups(sum), g), offset);
      }),
      { numRuns: 2000 },
    );
    // Below the base, or 2^53 and more above it: not representable.
    assert.equal(groupsOffsetFrom(bigIntToGroups(5n), bigIntToGroups(6n)), -1);
    assert.equal(groupsOffsetFrom(bigIntToGroups(1n << 53n), bigIntToGroups(0n)), -1);
  });
});
