import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Testbed, type TestbedHost } from "../../src/testbed/index.js";
import { waitUntil as waitFor } from "../../src/networkdb-node/launcher.js";

/**
 * Names across hosts: two cnmd hosts on etcd and NetworkDB, an overlay
 * network, a sandbox on each. Each host's embedded DNS learns the other's
 * sandbox from the gossip table of name records (Docker's endpoint_table),
 * and forgets it when its endpoint leaves or its host fails.
 */
describe("embedded DNS across hosts (overlay, gossip name records)", () => {
  let bed: Testbed;
  let h1: TestbedHost;
  let h2: TestbedHost;
  const addr: Record<string, string> = {};

  const cnm = async (h: TestbedHost, args: string[]): Promise<string> => {
    const r = await h.cnm(args, { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `cnm ${args.join(" ")} on ${h.name} failed (${r.code}): ${r.stderr}\n--- cnmd log ---\n${h.logTail(3000)}`);
    return r.stdout;
  };
  const dig = async (h: TestbedHost, sandbox: string, ...query: string[]): Promise<string[]> => {
    const out = await cnm(h, ["sandbox", "exec", sandbox, "--", "dig", "@127.0.0.11", "+short", "+tries=1", "+time=4", ...query]);
    return out.split("\n").filter((l) => l !== "" && !l.startsWith(";"));
  };
  const address = async (h: TestbedHost, sandbox: string): Promise<string> => {
    const [view] = JSON.parse(await cnm(h, ["sandbox", "inspect", sandbox, "--format", "json"])) as { Networks: Record<string, { IPAddress: string }> }[];
    return view!.Networks["dnsov"]!.IPAddress;
  };

  before(async () => {
    bed = await Testbed.start({ hosts: 2, etcd: true, onProgress: (m) => console.log(`# testbed: ${m}`) });
    [h1, h2] = bed.hosts as [TestbedHost, TestbedHost];
    await cnm(h1, ["network", "create", "-d", "overlay", "--subnet", "10.78.0.0/24", "--attachable", "dnsov"]);
    await waitFor("dnsov listed on host 2", async () => (await cnm(h2, ["network", "ls", "--format", "json"])).includes('"Name":"dnsov"'), 5000);
    // 127.0.0.1:53 answers nothing: names cnm does not know fail fast, inside the testbed.
    await cnm(h1, ["sandbox", "create", "--dns", "127.0.0.1", "alpha"]);
    await cnm(h1, ["network", "connect", "dnsov", "alpha"]);
    await cnm(h2, ["sandbox", "create", "--dns", "127.0.0.1", "beta"]);
    await cnm(h2, ["network", "connect", "--alias", "db", "dnsov", "beta"]);
    addr.alpha = await address(h1, "alpha");
    addr.beta = await address(h2, "beta");
  });
  after(async () => {
    await bed?.close();
  });

  it("a sandbox finds the other host's sandbox by name, alias and name.network, both ways", async () => {
    await waitFor("beta resolvable on host 1", async () => (await dig(h1, "alpha", "beta")).includes(addr.beta!), 5000);
    assert.deepEqual(await dig(h1, "alpha", "db"), [addr.beta]);
    assert.deepEqual(await dig(h1, "alpha", "beta.dnsov"), [addr.beta]);
    assert.deepEqual(await dig(h1, "alpha", "-x", addr.beta!), ["beta.dnsov."]);
    await waitFor("alpha resolvable on host 2", async () => (await dig(h2, "beta", "alpha")).includes(addr.alpha!), 5000);
    // The name records as the gossip table holds them, decoded by `cnm cluster table`.
    const rows = (await cnm(h1, ["cluster", "table", "dnsov", "endpoint_table", "--format", "json"]))
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => (JSON.parse(l) as { Decoded?: { name: string; endpointIp: string } }).Decoded);
    assert.deepEqual(rows.map((r) => `${r?.name} ${r?.endpointIp}`).sort(), [`alpha ${addr.alpha}`, `beta ${addr.beta}`]);
    const ping = await h1.cnm(["sandbox", "exec", "alpha", "--", "ping", "-c", "1", "-W", "2", "db"], { timeoutMs: 15_000 });
    assert.equal(ping.code, 0, `alpha pings db by name: ${ping.stdout}${ping.stderr}`);
  });

  it("the name leaves every host with its endpoint, and comes back with the next connect", async () => {
    await cnm(h2, ["network", "disconnect", "dnsov", "beta"]);
    await waitFor("beta gone on host 1", async () => (await dig(h1, "alpha", "beta")).length === 0, 5000);
    assert.deepEqual(await dig(h1, "alpha", "db"), []);
    await cnm(h2, ["network", "connect", "--alias", "db", "dnsov", "beta"]);
    addr.beta = await address(h2, "beta");
    await waitFor("beta back on host 1", async () => (await dig(h1, "alpha", "db")).includes(addr.beta!), 5000);
  });

  it("a failed host's names go with it", async () => {
    await h2.killDaemon();
    await waitFor("beta gone on host 1 after host 2 failed", async () => (await dig(h1, "alpha", "beta")).length === 0, 15_000);
  });
});
