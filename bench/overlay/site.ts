/**
 * One measured cluster: a testbed of N hosts with etcd, an overlay network,
 * and on every host two sandboxes with a long-lived helper each: "p", always
 * connected, running a prober; "t", connected and disconnected by the
 * samples, running a UDP echo server (its namespace outlives its endpoints,
 * so the server keeps listening across connects).
 */
import { Testbed } from "../../src/testbed/index.js";
import { ProbeAgent } from "./agents.js";
import { ApiClient } from "./api-client.js";
import { OverlayFdb, pollUntilAll } from "./fdb-watch.js";

export const NETWORK = "ov";
export const SUBNET = "10.77.0.0/16";
export const ECHO_PORT = 7777;
const DOCKER_PROFILE = ["--gossip-profile", "docker"];

interface SandboxInspect {
  Key: string;
  Networks: Record<string, { IPAddress: string; MacAddress: string }>;
}

export interface SiteHost {
  readonly index: number;
  readonly api: ApiClient;
  readonly proberNs: string;
  readonly targetNs: string;
  readonly proberMac: string;
  readonly prober: ProbeAgent;
  readonly echo: ProbeAgent;
  readonly fdb: OverlayFdb;
}

export class Site {
  private nextAddress = 0;

  private constructor(
    readonly bed: Testbed,
    readonly label: string,
    readonly nid: string,
    readonly hosts: SiteHost[],
  ) {}

  /** Builds everything; on failure removes what it made and rethrows. */
  static async start(n: number, docker: boolean, progress: (m: string) => void): Promise<Site> {
    const label = `${docker ? "docker-mode" : "cnm"} n=${n}`;
    const t0 = Date.now();
    const bed = await Testbed.start({
      hosts: n,
      etcd: true,
      ...(docker ? { cnmdArgs: () => DOCKER_PROFILE } : {}),
      onProgress: (m) => {
        if (/ready in|closed in/.test(m)) progress(`  ${m}`);
      },
    });
    const apis = bed.hosts.map((h) => new ApiClient(h.socket));
    const made: { agents: ProbeAgent[]; fdbs: OverlayFdb[] } = { agents: [], fdbs: [] };
    try {
      const created = await apis[0]!.ok<{ Id: string }>("POST", "/networks/create", {
        Name: NETWORK,
        Driver: "overlay",
        Attachable: true,
        IPAM: { Config: [{ Subnet: SUBNET }] },
      });
      await waitFor(`${NETWORK} on every host`, async () => (await Promise.all(apis.map((a) => a.call("GET", `/networks/${NETWORK}`)))).every((r) => r.status === 200), 20_000);
      const partial: Omit<SiteHost, "fdb">[] = [];
      for (const [i, api] of apis.entries()) {
        for (const name of ["p", "t"]) await api.ok("POST", "/sandboxes/create", { Name: name, NetworkMode: "none" });
        await api.ok("POST", `/networks/${NETWORK}/connect`, { Container: "p", EndpointConfig: { IPAMConfig: { IPv4Address: `10.77.0.${10 + i}` } } });
        const p = await api.ok<SandboxInspect>("GET", "/sandboxes/p");
        const t = await api.ok<SandboxInspect>("GET", "/sandboxes/t");
        const prober = await ProbeAgent.start(p.Key, ["probe"], `h${i + 1}/p`);
        made.agents.push(prober);
        const echo = await ProbeAgent.start(t.Key, ["echo", String(ECHO_PORT)], `h${i + 1}/t`);
        made.agents.push(echo);
        partial.push({ index: i, api, proberNs: p.Key, targetNs: t.Key, proberMac: p.Networks[NETWORK]!.MacAddress.toLowerCase(), prober, echo });
      }
      const hosts = partial.map((h, i) => {
        const fdb = OverlayFdb.open(bed.hosts[i]!.cnmdPrefix, created.Id, `h${i + 1}`);
        made.fdbs.push(fdb);
        return { ...h, fdb };
      });
      // Every prober known everywhere before anything is timed.
      for (const h of hosts) {
        const others = hosts.filter((o) => o !== h).map((o) => o.proberMac);
        const t = await pollUntilAll([h.fdb], (macs) => others.every((m) => macs.has(m)), 60_000, 20);
        if (t === undefined) throw new Error(`${label}: h${h.index + 1} never learnt the other probers' MACs`);
      }
      progress(`${label}: testbed, network and ${2 * n} sandboxes with their helpers ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      return new Site(bed, label, created.Id, hosts);
    } catch (err) {
      await Promise.allSettled(made.agents.map((a) => a.stop()));
      for (const f of made.fdbs) f.close();
      for (const a of apis) a.close();
      await bed.close();
      throw err;
    }
  }

  /** A fresh address for a sample (10.77.1.2 on): no neighbour cache anywhere holds it yet. */
  freshAddress(): string {
    const k = this.nextAddress++;
    return `10.77.${1 + Math.floor(k / 250)}.${2 + (k % 250)}`;
  }

  async connectTarget(h: SiteHost, ip: string): Promise<void> {
    await h.api.ok("POST", `/networks/${NETWORK}/connect`, { Container: "t", EndpointConfig: { IPAMConfig: { IPv4Address: ip } } });
  }

  async disconnectTarget(h: SiteHost): Promise<void> {
    await h.api.ok("POST", `/networks/${NETWORK}/disconnect`, { Container: "t", Force: false });
  }

  async targetMac(h: SiteHost): Promise<string> {
    const t = await h.api.ok<SandboxInspect>("GET", "/sandboxes/t");
    return t.Networks[NETWORK]!.MacAddress.toLowerCase();
  }

  /** Helpers stopped, handles closed, testbed gone: pass or fail. */
  async close(): Promise<void> {
    await Promise.allSettled(this.hosts.flatMap((h) => [h.prober.stop(), h.echo.stop()]));
    for (const h of this.hosts) {
      h.fdb.close();
      h.api.close();
    }
    await this.bed.close();
  }
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
