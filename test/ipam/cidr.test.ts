import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prefixToString } from "../../src/inet/index.js";
import { parseIpamCidr } from "../../src/ipam/cidr.js";

describe("IPAM CIDRs", () => {
  it("parse to canonical form and refuse nonsense with INVALID_CIDR", () => {
    assert.equal(prefixToString(parseIpamCidr("172.18.0.5/16")), "172.18.0.0/16");
    assert.equal(prefixToString(parseIpamCidr("FD00::1/64")), "fd00::/64");
    for (const bad of ["172.18.0.0", "172.18.0.0/33", "fd00::/129", "x/8", "10.0.0.0/08", "10.0.0.0/", "10.0.0.0/-1"]) {
      assert.throws(() => parseIpamCidr(bad), { code: "INVALID_CIDR" }, bad);
    }
    assert.throws(() => parseIpamCidr("10.0.0.0/33"), { message: 'invalid CIDR "10.0.0.0/33": prefix length must be 0..32' });
  });
});
