/**
 * The inet module against independent oracles: Node's own address parser
 * (net.isIP), its subnet matcher (net.BlockList) and the WHATWG URL parser,
 * on generated input biased towards the edges ("::" runs, dotted tails,
 * leading zeros, out-of-range parts).
 */
import assert from "node:assert/strict";
import { BlockList, isIP } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type IpFamily,
  type Prefix,
  formatIp,
  formatIpValue,
  makePrefix,
  parseIp,
  parseIpValue,
  prefixContains,
  prefixContainsIp,
  prefixesOverlap,
  prefixToString,
  tryParsePrefix,
} from "../../src/inet/index.js";

/** The address in network byte order, computed independently of the module's byte form. */
function bytesOf(ip: { family: IpFamily; value: bigint }): Buffer {
  const hex = ip.value.toString(16).padStart(ip.family === 4 ? 8 : 32, "0");
  return Buffer.from(hex, "hex");
}

const decimal = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom("256", "00", "01", "007", "1000", ""));
const ipv4ish = fc.array(decimal, { minLength: 3, maxLength: 5 }).map((parts) => parts.join("."));
const hexGroup = fc.oneof(
  fc.constant("0"),
  fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16)),
  fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16).toUpperCase().padStart(4, "0")),
  fc.constantFrom("", "12345", "g", "0000"),
);
// Groups joined by ":" with at most a few "::" placed anywhere, maybe a dotted tail.
const ipv6ish = fc
  .tuple(
    fc.array(fc.tuple(hexGroup, fc.constantFrom(":", ":", ":", "::")), { minLength: 0, maxLength: 9 }),
    fc.oneof(hexGroup, ipv4ish, fc.constant("")),
    fc.constantFrom("", "::"),
  )
  .map(([groups, last, lead]) => lead + groups.map(([g, sep]) => g + sep).join("") + last);

const v4Value = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n });
// 16-bit groups biased towards zero, so that "::" runs of every length show up.
const v6Value = fc
  .array(fc.oneof(fc.constant(0n), fc.constant(0n), fc.bigInt({ min: 0n, max: 0xffffn })), { minLength: 8, maxLength: 8 })
  .map((gs) => gs.reduce((v, g) => (v << 16n) | g, 0n));
const ipValue = fc.oneof(v4Value.map((value) => ({ family: 4 as const, value })), v6Value.map((value) => ({ family: 6 as const, value })));

/** Valid text for an address, in one of the forms people write: canonical, expanded, upper case, dotted tail. */
function writtenForms(ip: { family: IpFamily; value: bigint }): string[] {
  const canonical = formatIpValue(ip);
  if (ip.family === 4) return [canonical];
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  const v4tail = formatIpValue({ family: 4, value: ip.value & 0xffffffffn });
  return [
    canonical,
    canonical.toUpperCase(),
    groups.map((g) => g.toString(16).padStart(4, "0")).join(":"),
    groups.slice(0, 6).map((g) => g.toString(16)).join(":") + ":" + v4tail,
  ];
}
const validText = fc.tuple(ipValue, fc.nat(3)).map(([ip, i]) => {
  const forms = writtenForms(ip);
  return forms[i % forms.length]!;
});
// One character inserted, replaced or deleted: the near misses a parser gets wrong.
const nearMiss = fc
  .tuple(validText, fc.nat(), fc.constantFrom(..."0123456789abcdefABCDEFg:.%/ -"), fc.constantFrom("insert", "replace", "delete"))
  .map(([text, at, c, how]) => {
    const i = at % (text.length + 1);
    if (how === "insert") return text.slice(0, i) + c + text.slice(i);
    if (how === "replace") return text.slice(0, i) + c + text.slice(i + 1);
    return text.slice(0, i) + text.slice(i + 1);
  });
const addressish = fc.oneof(ipv4ish, ipv6ish, validText, nearMiss, fc.string({ maxLength: 12 }));

function prefixArb(family: IpFamily): fc.Arbitrary<Prefix> {
  return fc
    .tuple(family === 4 ? v4Value : v6Value, fc.integer({ min: 0, max: family === 4 ? 32 : 128 }))
    .map(([value, bits]) => makePrefix(family, value, bits));
}
const prefixPair = fc.constantFrom<IpFamily>(4, 6).chain((f) => fc.tuple(prefixArb(f), prefixArb(f)));

const blockType = (f: IpFamily) => (f === 4 ? "ipv4" : "ipv6");

function blockListOf(p: Prefix): BlockList {
  const list = new BlockList();
  list.addSubnet(formatIpValue({ family: p.family, value: p.addr }), p.bits, blockType(p.family));
  return list;
}

describe("inet against Node's parser", () => {
  it("accepts exactly the addresses net.isIP accepts (zones aside), in the same family", () => {
    fc.assert(
      fc.property(addressish, (text) => {
        fc.pre(!text.includes("%"));
        const ours = parseIpValue(text);
        assert.equal(ours?.family ?? 0, isIP(text), text);
        if (ours) assert.deepEqual(parseIp(text).bytes, bytesOf(ours), text);
        else assert.throws(() => parseIp(text), TypeError);
      }),
      { numRuns: 20000 },
    );
  });

  it("formats text that Node accepts and that reads back to the same address", () => {
    fc.assert(
      fc.property(ipValue, (ip) => {
        const text = formatIpValue(ip);
        assert.equal(isIP(text), ip.family, text);
        assert.deepEqual(parseIpValue(text), ip);
        assert.equal(formatIp(bytesOf(ip)), text, "the byte form prints alike");
        if (ip.family === 6 && ip.value >> 32n !== 0xffffn) {
          // The URL parser is RFC 5952 but for the dotted IPv4-mapped tail.
          assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
        }
      }),
      { numRuns: 5000 },
    );
  });
});

describe("inet prefixes against net.BlockList", () => {
  it("contain an address exactly when BlockList says so", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<IpFamily>(4, 6).chain((f) => fc.tuple(prefixArb(f), f === 4 ? v4Value : v6Value, fc.constant(f))),
        ([p, value, family]) => {
          const ip = { family, value };
          assert.equal(prefixContainsIp(p, ip), blockListOf(p).check(formatIpValue(ip), blockType(family)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("contain and overlap each other as BlockList sees their first and last addresses", () => {
    fc.assert(
      fc.property(prefixPair, ([a, b]) => {
        const first = (p: Prefix) => formatIpValue({ family: p.family, value: p.addr });
        const last = (p: Prefix) => formatIpValue({ family: p.family, value: p.addr | ((1n << BigInt((p.family === 4 ? 32 : 128) - p.bits)) - 1n) });
        const t = blockType(a.family);
        const inA = blockListOf(a);
        const inB = blockListOf(b);
        // Prefixes are nested or disjoint: they overlap iff one holds the other's first address.
        assert.equal(prefixesOverlap(a, b), inA.check(first(b), t) || inB.check(first(a), t));
        assert.equal(prefixContains(a, b), inA.check(first(b), t) && inA.check(last(b), t));
      }),
      { numRuns: 3000 },
    );
  });

  it("round-trip through their canonical text", () => {
    fc.assert(
      fc.property(fc.constantFrom<IpFamily>(4, 6).chain(prefixArb), (p) => {
        assert.deepEqual(tryParsePrefix(prefixToString(p)), p);
      }),
      { numRuns: 2000 },
    );
  });
});
