import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultBridgeName, hostVethName } from "../../src/drivers/bridge/names.js";
import { dummyParentName, dummyParentPattern, ownerAlias } from "../../src/drivers/macvlan/index.js";
import { orphanNames, orphanParentLinks } from "../../src/orphans.js";

const nid = "0123456789abcdef".repeat(4);

describe("macvlan kernel names and the orphan sweep", () => {
  it("dummy parents carry the prefix, fit in 15 bytes, and no other prefix's or driver's names match them", () => {
    for (const prefix of ["cnm", "t1a2b", "abcdef", "cnmd"]) {
      const name = dummyParentName(prefix, nid);
      assert.ok(name.startsWith(`${prefix}dm`) && name.length === 15, name);
      assert.ok(dummyParentPattern(prefix).test(name));
      // Another prefix's objects, the bridge driver's, and a prefix that extends this one.
      for (const other of [defaultBridgeName(prefix, nid), hostVethName(prefix, nid), dummyParentName(`${prefix}d`, nid), dummyParentName(`${prefix}dm1`, nid)]) {
        assert.equal(dummyParentPattern(prefix).test(other), false, `${other} vs ${prefix}`);
      }
      assert.deepEqual(orphanNames(prefix, [name], []).links, [], "the bridge sweep leaves dummies to orphanParentLinks");
    }
  });

  it("the sweep takes dummies by name and sub-interfaces by their owner alias, never a user's", () => {
    const links = [
      { name: dummyParentName("cnm", nid), kind: "dummy", alias: undefined },
      { name: "eth0.10", kind: "vlan", alias: ownerAlias("cnm", nid) },
      { name: "eth0.11", kind: "vlan", alias: undefined },
      { name: "eth0.12", kind: "vlan", alias: ownerAlias("cnmx", nid) },
      { name: "eth0.13", kind: "vlan", alias: "cnm:mine" },
      { name: "eth1", kind: undefined, alias: ownerAlias("cnm", nid) },
    ];
    assert.deepEqual(orphanParentLinks("cnm", links), [dummyParentName("cnm", nid), "eth0.10"]);
  });
});
