// The small parts of cnmd's door for dockerd that need no kernel: pool ids
// that name their cnm network, and the file of Docker network bindings.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Bindings } from "../../src/engines/docker/bindings.js";
import { decodePoolId, encodePoolId } from "../../src/engines/docker/pool-ids.js";
import { splitOptions } from "../../src/engines/docker/options.js";

describe("pool ids", () => {
  it("carry the network, the subnet, the range and the family through dockerd and back", () => {
    const bound = { network: "a".repeat(64), pool: "10.0.0.0/24", v6: false };
    const fresh = { pool: "fd00:1::/64", subPool: "fd00:1::/80", v6: true };
    for (const ref of [bound, fresh]) assert.deepEqual(decodePoolId(encodePoolId(ref)), ref);
    assert.match(encodePoolId(bound), /^cnm1\.[A-Za-z0-9_-]+$/, "opaque, and safe in any JSON or log line");
  });

  it("refuse ids that are not cnm's with a clear error", () => {
    for (const id of ["", "LocalDefault/10.0.0.0/24", "cnm1.!!!", `cnm1.${Buffer.from('{"p":1}').toString("base64url")}`]) {
      assert.throws(() => decodePoolId(id), /is not one of cnm's/);
    }
  });
});

describe("Docker network bindings", () => {
  const dir = mkdtempSync(join(tmpdir(), "cnm-bindings-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("survive a restart, and a binding removed stays removed", () => {
    const path = join(dir, "docker-networks.json");
    const first = new Bindings(path);
    first.set("d1", { network: "n1", created: true });
    first.set("d2", { network: "n2", created: false });
    first.delete("d1");
    const again = new Bindings(path);
    assert.deepEqual(again.entries(), [["d2", { network: "n2", created: false }]]);
    assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), { d2: { network: "n2", created: false } });
  });

  it("a damaged file is an error that names it, not an empty map", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, "{not json");
    assert.throws(() => new Bindings(path), new RegExp(`cannot read Docker's network bindings at ${path}`));
  });
});

describe("a Docker network's options", () => {
  it("split cnm's own from the driver's", () => {
    assert.deepEqual(splitOptions({ "cnm.network": "ov", "cnm.driver": "overlay", "com.docker.network.driver.mtu": "1400" }), {
      network: "ov",
      driver: "overlay",
      driverOpts: { "com.docker.network.driver.mtu": "1400" },
    });
  });
});
