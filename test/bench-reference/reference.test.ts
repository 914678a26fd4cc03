// Smoke test of the reference side of the attach benchmark: each tool, n=3, on the real
// kernel. Checks what the tools did (eth0 with the expected address and default route in each
// namespace, a masquerade rule for the subnet), that detaching removed eth0, and that nothing
// of the run is left afterwards. No timing assertions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { runOk } from "../../bench/reference/exec.js";
import { ensureReferenceTools, type ReferenceTools } from "../../bench/reference/install.js";
import { hostAddress, parseSubnet } from "../../bench/reference/ipv4.js";
import { defaultGatewayIn, ipv4AddressesIn, listNamespaces } from "../../bench/reference/netns.js";
import { measureCni } from "../../bench/reference/cni.js";
import { measureNetavark } from "../../bench/reference/netavark.js";
import type { AttachedSandbox, MeasureOptions, MeasureResult } from "../../bench/reference/types.js";

const N = 3;

let toolsOrReason: Promise<ReferenceTools | string> | undefined;
/** Installs the packages once per file; a failure becomes the skip reason. */
function tools(): Promise<ReferenceTools | string> {
  toolsOrReason ??= ensureReferenceTools(() => {}).catch(
    (e: unknown) => `reference packages could not be installed: ${e instanceof Error ? e.message : String(e)}`,
  );
  return toolsOrReason;
}

async function ruleset(): Promise<string> {
  return (await runOk("nft", ["list", "ruleset"])).stdout;
}

/** The firewall objects either tool could leave: its tables, and chains with its names. */
async function toolFirewallObjects(): Promise<string[]> {
  const r = await runOk("nft", ["-j", "list", "ruleset"]);
  const items = (JSON.parse(r.stdout || '{"nftables":[]}') as { nftables: Array<Record<string, { family: string; name: string; table?: string }>> })
    .nftables;
  const found: string[] = [];
  for (const it of items) {
    const t = it["table"];
    if (t && ["ip nat", "ip filter", "ip6 nat", "ip6 filter", "inet netavark"].includes(`${t.family} ${t.name}`)) {
      found.push(`table ${t.family} ${t.name}`);
    }
    const c = it["chain"];
    if (c && /^(CNI-|NETAVARK)/.test(c.name)) found.push(`chain ${c.family} ${c.table} ${c.name}`);
  }
  return found.sort();
}

async function linksWithPrefix(prefix: string): Promise<string[]> {
  const r = await runOk("ip", ["-j", "link", "show"]);
  return (JSON.parse(r.stdout) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => n.startsWith(prefix));
}

type Measure = (opts: MeasureOptions) => Promise<MeasureResult>;

async function smoke(t: { skip: (reason: string) => void }, measure: Measure): Promise<void> {
  const got = await tools();
  if (typeof got === "string") {
    t.skip(got);
    return;
  }
  const prefix = `t${randomBytes(2).toString("hex")}`;
  const cidr = `10.214.${randomBytes(1)[0]}.0/24`;
  const subnet = parseSubnet(cidr);
  const gateway = hostAddress(subnet, 1);
  // "10\.214\.x": the subnet's first three octets as a regex, to find rules about it.
  const net24 = cidr.split(".").slice(0, 3).join("\\.");
  const firewallBefore = await toolFirewallObjects();
  let attachedSeen: readonly AttachedSandbox[] = [];
  let detachChecked = false;

  const result = await measure({
    n: N,
    prefix,
    subnet: cidr,
    onProgress: () => {},
    hooks: {
      async afterAttach(sandboxes) {
        attachedSeen = sandboxes;
        assert.equal(sandboxes.length, N);
        for (const [i, s] of sandboxes.entries()) {
          // Both tools hand out addresses in order from .2 (CNI's host-local) or are told them (netavark).
          const expected = `${hostAddress(subnet, i + 2)}/24`;
          assert.equal(s.address, expected);
          assert.deepEqual(await ipv4AddressesIn(s.netns, "eth0"), [expected], `${s.netns} eth0`);
          assert.equal(await defaultGatewayIn(s.netns), gateway, `${s.netns} default route`);
        }
        const br = await runOk("ip", ["-j", "-4", "addr", "show", "dev", `${prefix}br`]);
        const brAddrs = (JSON.parse(br.stdout) as Array<{ addr_info: Array<{ local: string }> }>)[0]?.addr_info.map((a) => a.local);
        assert.ok(brAddrs?.includes(gateway), `bridge ${prefix}br carries the gateway ${gateway}`);
        const rules = await ruleset();
        assert.match(rules, new RegExp(`ip saddr ${net24}\\.`), "a rule matches the sandboxes' source addresses");
        assert.match(rules, /masquerade/, "a masquerade rule exists");
      },
      async afterDetach(sandboxes) {
        for (const s of sandboxes) {
          assert.ok((await listNamespaces()).includes(s.netns), `${s.netns} still exists before cleanup`);
          assert.equal(await ipv4AddressesIn(s.netns, "eth0"), null, `${s.netns} has no eth0 after detach`);
        }
        detachChecked = true;
      },
    },
  });

  assert.equal(attachedSeen.length, N);
  assert.ok(detachChecked);
  assert.equal(result.addMs.length, N);
  assert.equal(result.delMs.length, N);
  for (const ms of [...result.addMs, ...result.delMs]) assert.ok(Number.isFinite(ms) && ms > 0);

  // Nothing of the run is left.
  assert.deepEqual((await listNamespaces()).filter((n) => n.startsWith(prefix)), []);
  assert.deepEqual(await linksWithPrefix(prefix), []);
  assert.deepEqual(await toolFirewallObjects(), firewallBefore);
  assert.doesNotMatch(await ruleset(), new RegExp(`${net24}\\.`), "no rule mentions the subnet");
}

test("CNI bridge plugin: attach gives eth0 its address and route, detach removes it, nothing left", async (t) => {
  await smoke(t, measureCni);
});

test("netavark: attach gives eth0 its address and route, detach removes it, nothing left", async (t) => {
  await smoke(t, measureNetavark);
});

/** A run that fails while sandboxes are attached must still remove everything it made. */
async function failMidway(t: { skip: (reason: string) => void }, measure: Measure): Promise<void> {
  const got = await tools();
  if (typeof got === "string") {
    t.skip(got);
    return;
  }
  const prefix = `t${randomBytes(2).toString("hex")}`;
  const cidr = `10.215.${randomBytes(1)[0]}.0/24`;
  const firewallBefore = await toolFirewallObjects();
  const planted = new Error("planted failure while attached");
  await assert.rejects(
    measure({
      n: 2,
      prefix,
      subnet: cidr,
      onProgress: () => {},
      hooks: {
        afterAttach() {
          throw planted;
        },
      },
    }),
    (e) => e === planted,
  );
  assert.deepEqual((await listNamespaces()).filter((n) => n.startsWith(prefix)), []);
  assert.deepEqual(await linksWithPrefix(prefix), []);
  assert.deepEqual(await toolFirewallObjects(), firewallBefore);
}

test("CNI bridge plugin: a run failing while attached leaves nothing behind", async (t) => {
  await failMidway(t, measureCni);
});

test("netavark: a run failing while attached leaves nothing behind", async (t) => {
  await failMidway(t, measureNetavark);
});
