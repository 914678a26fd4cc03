/** The timed parts, each on a Site built beforehand. */
import { pollUntilAll } from "./fdb-watch.js";
import { ECHO_PORT, type Site, type SiteHost } from "./site.js";
import { msSince, percentile, round, sleep } from "./stats.js";

export interface ConnectFigures {
  p50: number;
  p99: number;
  max: number;
  /** The connect request alone (request sent to 200 received). */
  apiP50: number;
  apiP99: number;
  /** Until the endpoint's MAC is in the vxlan FDB of the prober's host (the driver has programmed it). */
  fdbP50: number;
  fdbP99: number;
  lost: number;
  samples: number;
}

/**
 * Connect target sandboxes to the overlay, rotating over the hosts, each
 * probed from another host (rotating too); ms from just before the connect
 * request to the prober's first echo. Disconnected after each sample, and a
 * random pause of up to 200 ms (the docker profile's gossip period) so no
 * sample starts in step with a gossip timer. The first sample is a warm-up.
 */
export async function connectToReachable(site: Site, samples: number, progress: (m: string) => void): Promise<ConnectFigures> {
  const n = site.hosts.length;
  const ms: number[] = [];
  const apiMs: number[] = [];
  const fdbMs: number[] = [];
  let lost = 0;
  for (let k = -1; k < samples; k++) {
    const j = Math.max(0, k);
    const target = site.hosts[j % n]!;
    const prober = site.hosts[(target.index + 1 + (Math.floor(j / n) % (n - 1))) % n]!;
    const ip = site.freshAddress();
    const id = `s${k + 1}`;
    const mac = dockerMac(ip);
    await prober.prober.arm(id, ip, ECHO_PORT);
    const t0 = process.hrtime.bigint();
    const programmed = pollUntilAll([prober.fdb], (macs) => macs.has(mac), 10_000);
    await site.connectTarget(target, ip);
    const tApi = process.hrtime.bigint();
    const reached = await prober.prober.reached(id, 10_000);
    const tFdb = await programmed;
    if (k >= 0) {
      apiMs.push(msSince(t0, tApi));
      if (tFdb !== undefined) fdbMs.push(msSince(t0, tFdb));
      if (reached === undefined) {
        lost++;
        progress(`  ${site.label}: sample ${k + 1}: h${target.index + 1}'s ${ip} not reached from h${prober.index + 1} within 10 s`);
      } else {
        ms.push(msSince(t0, reached));
      }
      if ((k + 1) % 10 === 0) progress(`  ${site.label}: ${k + 1}/${samples} connects, p50 so far ${round(percentile(ms, 50))} ms`);
    }
    await site.disconnectTarget(target);
    await sleep(Math.random() * 200);
  }
  return {
    p50: round(percentile(ms, 50)),
    p99: round(percentile(ms, 99)),
    max: round(Math.max(...ms)),
    apiP50: round(percentile(apiMs, 50)),
    apiP99: round(percentile(apiMs, 99)),
    fdbP50: round(percentile(fdbMs, 50)),
    fdbP99: round(percentile(fdbMs, 99)),
    lost,
    samples,
  };
}

/** The MAC the overlay driver gives an IPv4 endpoint, as Docker's: 02:42 and the address's four bytes. */
function dockerMac(ip: string): string {
  return ["02", "42", ...ip.split(".").map((b) => Number(b).toString(16).padStart(2, "0"))].join(":");
}

export interface LeaveFigures {
  p50: number;
  p99: number;
  max: number;
  /** The disconnect request alone. */
  apiP50: number;
  lost: number;
}

/** Disconnect on one host; ms until the endpoint's MAC is out of the vxlan FDB on every other host. */
export async function leaveToFdbGone(site: Site, samples: number, progress: (m: string) => void): Promise<LeaveFigures> {
  const n = site.hosts.length;
  const ms: number[] = [];
  const apiMs: number[] = [];
  let lost = 0;
  for (let k = 0; k < samples; k++) {
    const host = site.hosts[k % n]!;
    const others = site.hosts.filter((h) => h !== host).map((h) => h.fdb);
    await site.connectTarget(host, site.freshAddress());
    const mac = await site.targetMac(host);
    if ((await pollUntilAll(others, (macs) => macs.has(mac), 30_000)) === undefined) throw new Error(`${site.label}: ${mac} never reached the other hosts' FDB`);
    await sleep(Math.random() * 200);
    const t0 = process.hrtime.bigint();
    // Polling from before the request: the entries may go before it returns.
    const goneAt = pollUntilAll(others, (macs) => !macs.has(mac), 30_000);
    await site.disconnectTarget(host);
    apiMs.push(msSince(t0));
    const gone = await goneAt;
    if (gone === undefined) lost++;
    else ms.push(msSince(t0, gone));
  }
  const r = { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)), max: round(Math.max(...ms)), apiP50: round(percentile(apiMs, 50)), lost };
  progress(`  ${site.label}: leave -> FDB gone on all others: p50 ${r.p50} ms, p99 ${r.p99} ms over ${samples} (disconnect request alone: p50 ${r.apiP50} ms)`);
  return r;
}

/**
 * kill -9 of the last host's cnmd (with two endpoints there: its prober and
 * a target); seconds until both MACs are out of every other host's FDB.
 * Destructive: the last measurement on a site.
 */
export async function killToGone(site: Site, progress: (m: string) => void): Promise<number> {
  const victim: SiteHost = site.hosts[site.hosts.length - 1]!;
  const others = site.hosts.filter((h) => h !== victim).map((h) => h.fdb);
  await site.connectTarget(victim, site.freshAddress());
  const macs = [victim.proberMac, await site.targetMac(victim)];
  if ((await pollUntilAll(others, (m) => macs.every((x) => m.has(x)), 30_000)) === undefined) throw new Error(`${site.label}: the victim's MACs never reached the others`);
  const bedHost = site.bed.hosts[victim.index]!;
  const t0 = process.hrtime.bigint();
  const goneAt = pollUntilAll(others, (m) => macs.every((x) => !m.has(x)), 60_000, 5);
  await bedHost.killDaemon();
  const gone = await goneAt;
  if (gone === undefined) {
    const left = others.map((f) => `${f.label}: ${macs.filter((x) => f.macs().has(x)).join(", ")}`).join("; ");
    throw new Error(`${site.label}: the killed host's entries were still programmed 60 s later (${left})`);
  }
  const s = msSince(t0, gone) / 1000;
  progress(`  ${site.label}: kill -9 -> its FDB entries gone on every other host after ${round(s)} s`);
  return s;
}
