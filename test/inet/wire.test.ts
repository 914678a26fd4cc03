// IP / prefix / MAC text conversions.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  broadcastOf,
  formatIp,
  formatMac,
  isMulticastMac,
  isZeroMac,
  parseIp,
  parseMac,
  parsePrefix,
  networkOf,
  tryParseMac,
} from "../../src/inet/index.js";

test("IPv4 parse/format", () => {
  const ip = parseIp("172.18.0.2");
  assert.equal(ip.family, 4);
  assert.deepEqual([...ip.bytes], [172, 18, 0, 2]);
  assert.equal(formatIp(ip.bytes), "172.18.0.2");
  assert.throws(() => parseIp("300.1.1.1"), TypeError);
  assert.throws(() => parseIp("fe80::1%eth0"), TypeError);
});

test("IPv6 text is the canonical compressed form (as inet_ntop prints it)", () => {
  // Expected values are inet_ntop's (glibc) but for the IPv4-compatible form.
  const cases: [string, string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["::2", "::2"],
    ["fd00:0:0:0:0:0:0:0", "fd00::"],
    ["FE80:0000::0001:0:0:1", "fe80::1:0:0:1"],
    ["1:0:0:1:0:0:0:1", "1:0:0:1::1"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    // IPv4-compatible (deprecated, RFC 4291): hex, as Go's net/netip prints it; glibc alone keeps a dotted tail.
    ["::1.2.3.4", "::102:304"],
    ["::ffff:0:1.2.3.4", "::ffff:0:102:304"],
    ["0:0:0:0:0:ffff:0:0", "::ffff:0.0.0.0"],
    ["::0.0.1.2", "::102"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"],
  ];
  for (const [input, expected] of cases) assert.equal(formatIp(parseIp(input).bytes), expected, input);
});

test("IPv6 bytes -> text -> bytes round trip (property)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (raw) => {
      const bytes = Buffer.from(raw);
      const text = formatIp(bytes);
      assert.ok(!/::.*::/.test(text), "at most one ::");
      assert.deepEqual(parseIp(text).bytes, bytes);
    }),
  );
});

test("prefixes: parse, network, broadcast", () => {
  const p = parsePrefix("172.18.5.9/16");
  assert.equal(p.prefixLen, 16);
  assert.equal(formatIp(networkOf(p)), "172.18.0.0");
  assert.equal(formatIp(broadcastOf(p)), "172.18.255.255");
  assert.equal(parsePrefix("10.0.0.1").prefixLen, 32);
  assert.equal(parsePrefix("fd00::1").prefixLen, 128);
  assert.equal(formatIp(networkOf(parsePrefix("fd00:1:2:3::9/52"))), "fd00:1:2::");
  assert.throws(() => parsePrefix("10.0.0.0/33"), TypeError);
  assert.throws(() => parsePrefix("10.0.0.0/"), TypeError);
  // Lengths are plain decimal: no sign, no leading zero, no space, no hex.
  for (const bad of ["10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/0x8", "fd00::/129"]) assert.throws(() => parsePrefix(bad), TypeError, bad);
});

test("MAC parse/format", () => {
  assert.deepEqual([...parseMac("02:42:AC:11:00:02")], [2, 0x42, 0xac, 0x11, 0, 2]);
  assert.equal(formatMac(parseMac("02-42-ac-11-00-02")), "02:42:ac:11:00:02");
  assert.throws(() => parseMac("02:42:ac:11:00"), TypeError);
  assert.equal(tryParseMac("02:42:ac:11:00:0g"), undefined);
  assert.ok(isMulticastMac(parseMac("01:00:5e:00:00:01")) && isMulticastMac(parseMac("ff:ff:ff:ff:ff:ff")));
  assert.ok(!isMulticastMac(parseMac("02:42:ac:11:00:02")));
  assert.ok(isZeroMac(parseMac("00-00-00-00-00-00")) && !isZeroMac(parseMac("00:00:00:00:00:01")));
});
