// A best-effort step that fails is never silent: the controller carries on
// and says, through the logger in its options, what it could not do and on
// which object.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Controller, LocalAgent } from "../../src/index.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import { LinuxOsl } from "../../src/osl/linux-osl.js";
import { GossipingDriver } from "./gossiping-driver.js";
import { sweep, uniquePrefix } from "./helpers.js";
import { collectingLogger } from "../log-lines.js";

/** A cluster agent that cannot delete entries (the gossip is away). */
class AgentThatCannotDelete extends LocalAgent {
  override async deleteEntry(): Promise<void> {
    throw new Error("gossip unreachable");
  }
}

/** A driver whose network creation fails after its allocation, and whose free fails too. */
class DriverThatFailsTwice extends GossipingDriver {
  override async createNetwork(): Promise<void> {
    throw new Error("no room for the network");
  }
  override async networkFree(): Promise<void> {
    throw new Error("allocation stuck");
  }
}

describe("best-effort steps are logged", () => {
  const prefix = uniquePrefix();
  const logger = collectingLogger();
  const osl = new LinuxOsl();
  let c: Controller | undefined;
  after(async () => {
    try {
      await c?.destroyAll();
      await c?.close();
    } finally {
      sweep(prefix);
    }
  });

  it("a table entry that cannot be withdrawn: the disconnect succeeds, the failure is logged naming entry, endpoint and network", async () => {
    c = await Controller.create({
      prefix,
      runDir: `/run/cnm-test/${prefix}`,
      osl,
      agent: new AgentThatCannotDelete(),
      logger,
      drivers: [
        (cb) => cb.registerDriver("gossiping", new GossipingDriver("n1"), { dataScope: "global" }),
        (cb) => cb.registerDriver("failing", new DriverThatFailsTwice("n1"), { dataScope: "global" }),
      ],
      ipams: [{ name: "default", ipam: new DefaultIpam(), capability: { requiresMACAddress: false, requiresRequestReplay: false } }],
    });
    await c.createNetwork({ name: "gossip-net", driver: "gossiping", ipam: { config: [{ subnet: "10.203.0.0/24" }] } });
    await c.createSandbox({ name: "web" });
    const { endpoint } = await c.connect("gossip-net", "web");
    await c.disconnect("gossip-net", "web");
    assert.deepEqual(c.sandbox("web").endpoints, []);
    const line = logger.lines.find((l) => l.startsWith("warn withdrawing entry"));
    assert.ok(line, `no log line for the failed withdrawal in:\n${logger.lines.join("\n")}`);
    assert.match(line, new RegExp(`entry ${endpoint.id} of table gossip_test_table \\(endpoint web, network gossip-net\\) failed: gossip unreachable`));
  });

  it("an undo step that fails: the original error reaches the caller, the undo's failure is logged", async () => {
    await assert.rejects(c!.createNetwork({ name: "doomed", driver: "failing" }), /no room for the network/);
    assert.equal(c!.networks().some((n) => n.name === "doomed"), false);
    assert.ok(
      logger.lines.includes("warn undoing the creation of network doomed: freeing the driver's allocation failed: allocation stuck"),
      logger.lines.join("\n"),
    );
  });
});
