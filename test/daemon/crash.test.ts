import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { leftoverLinks, leftoverNamespaces, uniquePrefix } from "../integration/helpers.js";
import { DaemonProcess } from "./daemon-process.js";

interface SandboxJson {
  Id: string;
  Name: string;
  Key: string;
  Networks: Record<string, { IPAddress: string; EndpointID: string }>;
}

/** Interfaces other than lo in a namespace, with their IPv4 addresses. */
function interfacesOf(nsPath: string): Map<string, string[]> {
  const ns = nsPath.slice(nsPath.lastIndexOf("/") + 1);
  const links = JSON.parse(execFileSync("ip", ["-n", ns, "-j", "-4", "addr"], { encoding: "utf8" })) as {
    ifname: string;
    addr_info?: { local: string }[];
  }[];
  const out = new Map<string, string[]>();
  for (const l of JSON.parse(execFileSync("ip", ["-n", ns, "-j", "link"], { encoding: "utf8" })) as { ifname: string }[]) {
    if (l.ifname !== "lo") out.set(l.ifname, []);
  }
  for (const l of links) if (l.ifname !== "lo") out.set(l.ifname, (l.addr_info ?? []).map((a) => a.local));
  return out;
}

describe("cnmd killed with -9 in the middle of 50 concurrent connects", () => {
  const daemons: DaemonProcess[] = [];
  after(async () => {
    for (const d of daemons) await d.destroy();
  });

  // The kill lands at a different point of the 50 connects in each run.
  for (const killAfter of [3, 17, 33]) {
  it(`killed after ${killAfter} answers: restarts with store and kernel in agreement, nothing leaked, every answered connect still there`, async () => {
    const d = new DaemonProcess(uniquePrefix());
    daemons.push(d);
    await d.start();
    const nets = ["c0", "c1", "c2"];
    for (const [i, name] of nets.entries()) {
      const r = await d.call("POST", "/networks/create", { Name: name, IPAM: { Config: [{ Subnet: `10.209.${i}.0/24` }] } });
      assert.equal(r.status, 201, JSON.stringify(r.json));
    }
    for (let i = 0; i < 20; i++) assert.equal((await d.call("POST", "/sandboxes/create", { Name: `s${i}`, NetworkMode: "none" })).status, 201);

    // 50 of the 60 (sandbox, network) pairs, all at once; the daemon dies after the first answers.
    const pairs = Array.from({ length: 60 }, (_, k) => ({ sandbox: `s${k % 20}`, network: nets[Math.floor(k / 20)]! })).slice(0, 50);
    const answered: typeof pairs = [];
    let killed = false;
    const calls = pairs.map(async (p) => {
      try {
        const r = await d.call("POST", `/networks/${p.network}/connect`, { Container: p.sandbox });
        if (r.status === 200) answered.push(p);
        if (!killed && answered.length >= killAfter) {
          killed = true;
          await d.crash();
        }
      } catch {
        // The daemon died before answering this one.
      }
    });
    await Promise.all(calls);
    if (!killed) await d.crash();
    assert.ok(answered.length >= killAfter && answered.length < 50, `${answered.length} connects answered before the kill`);

    await d.start();
    assert.match(d.log, /restored 6 networks/);
    const sandboxes = (await d.call("GET", "/sandboxes")).json as SandboxJson[];
    assert.equal(sandboxes.length, 20);
    const seen = new Set<string>();
    const joinedEndpoints = new Set<string>();
    for (const sb of sandboxes) {
      const full = (await d.call("GET", `/sandboxes/${sb.Id}`)).json as SandboxJson;
      const kernel = interfacesOf(full.Key);
      const addresses = Object.values(full.Networks).map((n) => n.IPAddress);
      // Store and kernel agree: one interface per network, carrying the stored address, nothing else.
      assert.equal(kernel.size, addresses.length, `${sb.Name}: ${JSON.stringify([...kernel])} vs ${JSON.stringify(full.Networks)}`);
      assert.deepEqual([...kernel.values()].flat().sort(), [...addresses].sort(), sb.Name);
      for (const [net, ep] of Object.entries(full.Networks)) {
        seen.add(`${sb.Name}/${net}`);
        joinedEndpoints.add(ep.EndpointID);
      }
    }
    for (const p of answered) assert.ok(seen.has(`${p.sandbox}/${p.network}`), `answered connect ${p.sandbox}/${p.network} survived`);

    // Nothing leaked in the kernel: one namespace per sandbox, one host veth per joined endpoint.
    assert.equal(leftoverNamespaces(d.prefix).length, 20);
    const vethDeadline = Date.now() + 5000;
    const hostVeths = () => leftoverLinks(d.prefix).filter((l) => l.startsWith(`${d.prefix}h`));
    while (hostVeths().length !== joinedEndpoints.size && Date.now() < vethDeadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(hostVeths().length, joinedEndpoints.size);

    // Nothing leaked in IPAM: every remaining pair connects, with an address nobody else has.
    for (const p of Array.from({ length: 60 }, (_, k) => ({ sandbox: `s${k % 20}`, network: nets[Math.floor(k / 20)]! }))) {
      if (seen.has(`${p.sandbox}/${p.network}`)) continue;
      const r = await d.call("POST", `/networks/${p.network}/connect`, { Container: p.sandbox });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    const all = (await Promise.all(sandboxes.map(async (s) => ((await d.call("GET", `/sandboxes/${s.Id}`)).json as SandboxJson).Networks))).flatMap(
      (n) => Object.values(n).map((e) => e.IPAddress),
    );
    assert.equal(all.length, 60);
    assert.equal(new Set(all).size, 60, "no address handed out twice");
    // Each network holds 20 sandboxes, so .2-.21 exactly: nothing was lost to the crash.
    for (const [i] of nets.entries()) {
      const inNet = all.filter((a) => a.startsWith(`10.209.${i}.`)).map((a) => Number(a.split(".")[3])).sort((x, y) => x - y);
      assert.equal(inNet.length, 20);
      assert.ok(inNet.every((x) => x >= 2 && x <= 40), JSON.stringify(inNet));
    }

    // A clean stop and start (SIGTERM) keeps all 60.
    await d.stop();
    await d.start();
    assert.match(d.log, /60 joins kept, 0 rebuilt, 0 interrupted connects undone/);
  });
  }
});
