// The pure parts of the firewall: address parsing, declared state -> elements,
// and element diffs. No kernel needed.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { diffCommands, renderElements } from "../../src/linux/nftables/elements.js";
import { emptyState, normalizeMapping, normalizeNetwork, parseIP, parseSubnet, subnetsOverlap, type DeclaredState } from "../../src/linux/nftables/model.js";
import { skeletonCommands } from "../../src/linux/nftables/ruleset.js";

describe("nftables ip parsing", () => {
  it("canonicalises addresses", () => {
    assert.equal(parseIP("2001:DB8:0:0:1:0:0:1").text, "2001:db8::1:0:0:1");
    assert.equal(parseIP("2001:db8:0:0:0:0:2:1").text, "2001:db8::2:1");
    // IPv4-mapped keeps its dotted tail (RFC 5952 section 5), as nft itself prints it.
    assert.equal(parseIP("::ffff:192.0.2.1").text, "::ffff:192.0.2.1");
    assert.equal(parseIP("::").text, "::");
    assert.equal(parseIP("10.0.0.1").family, 4);
    assert.throws(() => parseIP("10.0.0.01", "host address"), /invalid host address "10\.0\.0\.01"/);
    assert.throws(() => parseIP("fe80::1%eth0"), /not an IPv4 or IPv6 address/);
  });

  it("formats IPv6 like the WHATWG URL parser does (RFC 5952)", () => {
    // Bytes biased towards zero groups, to exercise the "::" choice.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5), where the URL parser
        // prints hex: they are checked on their own above.
        fc.pre(!(groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff));
        const full = groups.map((g) => g.toString(16)).join(":");
        const viaUrl = new URL(`http://[${full}]/`).hostname.slice(1, -1);
        assert.equal(parseIP(full).text, viaUrl);
      }),
      { numRuns: 500 },
    );
  });

  it("parses subnets, clearing host bits, and detects overlaps", () => {
    assert.equal(parseSubnet("10.1.2.3/16").text, "10.1.0.0/16");
    assert.equal(parseSubnet("fd00:7b:1::5/64").text, "fd00:7b:1::/64");
    assert.equal(parseSubnet("10.1.2.3/0").text, "0.0.0.0/0");
    assert.throws(() => parseSubnet("10.1.2.3"), /expected address\/prefix-length/);
    assert.throws(() => parseSubnet("fd00::/129"), /prefix length must be 0\.\.128/);
    assert.ok(subnetsOverlap(parseSubnet("10.0.0.0/8"), parseSubnet("10.5.0.0/16")));
    assert.ok(subnetsOverlap(parseSubnet("10.5.0.0/16"), parseSubnet("10.0.0.0/8")));
    assert.ok(!subnetsOverlap(parseSubnet("10.1.0.0/24"), parseSubnet("10.1.1.0/24")));
    assert.ok(!subnetsOverlap(parseSubnet("0.0.0.0/0"), parseSubnet("::/0")), "families never overlap");
  });
});

function stateOf(nets: Parameters<typeof normalizeNetwork>[0][], maps: Parameters<typeof normalizeMapping>[0][]): DeclaredState {
  const s = emptyState();
  for (const n of nets) s.networks.set(n.id, normalizeNetwork(n));
  for (const m of maps) {
    const nm = normalizeMapping(m);
    s.mappings.set(nm.id, nm);
  }
  return s;
}

const n1 = { id: "n1", bridge: "br1", subnets: ["10.1.0.0/24"], masquerade: true, icc: false, internal: false };

describe("nftables elements", () => {
  it("renders a network and its mappings as elements only", () => {
    const s = stateOf([n1], [{ networkId: "n1", proto: "tcp", hostPort: 80, containerIP: "10.1.0.2", containerPort: 8080 }]);
    const sets = [...renderElements(s).values()].map((e) => e.set).sort();
    assert.deepEqual(sets, [
      "bridges",
      "dnat_any_v4_addr",
      "dnat_any_v4_port",
      "masq_v4",
      "no_icc",
      "no_icc_v4",
      "own_bridge_v4",
      "same_bridge",
    ]);
  });

  it("an unchanged state diffs to nothing; a changed target is a delete (key only) before an add", () => {
    const m = { networkId: "n1", proto: "tcp" as const, hostPort: 80, containerIP: "10.1.0.2", containerPort: 8080 };
    const a = renderElements(stateOf([n1], [m]));
    assert.deepEqual(diffCommands("t", a, renderElements(stateOf([n1], [m]))), []);
    const b = renderElements(stateOf([n1], [{ ...m, containerIP: "10.1.0.3" }]));
    const cmds = diffCommands("t", a, b);
    assert.deepEqual(cmds, [
      { delete: { element: { family: "inet", table: "t", name: "dnat_any_v4_addr", elem: [{ concat: ["tcp", 80] }] } } },
      { add: { element: { family: "inet", table: "t", name: "dnat_any_v4_addr", elem: [[{ concat: ["tcp", 80] }, "10.1.0.3"]] } } },
    ]);
  });

  it("the skeleton only ever names its own tables", () => {
    const cmds = skeletonCommands("cnmx");
    for (const c of cmds) {
      const obj = Object.values(Object.values(c)[0] as Record<string, { table?: string; name?: string }>)[0]!;
      assert.equal(obj.table ?? obj.name, "cnmx", JSON.stringify(c));
    }
    assert.deepEqual(
      cmds.filter((c) => "delete" in c),
      [
        { delete: { table: { family: "inet", name: "cnmx" } } },
        { delete: { table: { family: "bridge", name: "cnmx" } } },
      ],
    );
  });
});
