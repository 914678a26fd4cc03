import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { orphanNames } from "../../src/orphans.js";
import { createLinuxController } from "../../src/index.js";
import { settledLeftoverLinks, leftoverNamespaces, sweep, uniquePrefix } from "../integration/helpers.js";

describe("orphan removal", () => {
  it("matches only the names cnm generates for its prefix", () => {
    const found = orphanNames(
      "cnm",
      ["cnm-0123456789a", "cnmh0123456789a", "cnmhello", "cnm-mine", "eth0", "cnmx-0123456789", "cnm-0123456789ab"],
      ["cnm-0123456789ab", "cnm-dev", "other-0123456789ab"],
    );
    assert.deepEqual(found.links, ["cnm-0123456789a", "cnmh0123456789a"]);
    assert.deepEqual(found.namespaces, ["cnm-0123456789ab"]);
  });

  it("a controller started after a crash removes what the dead one left", async () => {
    const prefix = uniquePrefix();
    try {
      // A first life that dies without any teardown: its process state is simply dropped.
      const first = await createLinuxController({ prefix, runDir: `/run/cnm-test/${prefix}`, watchFirewall: false });
      await first.createNetwork({ name: "n", ipam: { config: [{ subnet: "10.205.0.0/24" }] } });
      await first.createSandbox({ name: "s" });
      await first.connect("n", "s");
      await first.close();
      assert.equal(leftoverNamespaces(prefix).length, 1);
      const second = await createLinuxController({ prefix, runDir: `/run/cnm-test/${prefix}`, watchFirewall: false });
      assert.deepEqual(leftoverNamespaces(prefix), []);
      assert.deepEqual(await settledLeftoverLinks(prefix), []);
      // The firewall tables were replaced by empty ones, then go with a full teardown.
      await second.destroyAll();
      await second.close();
      assert.doesNotMatch(execFileSync("nft", ["list", "tables"], { encoding: "utf8" }), new RegExp(` ${prefix}\\b`));
    } finally {
      sweep(prefix);
    }
  });
});
