// Docker benchmark: what cnm costs a real dockerd's container start.
//
//  1. `docker run --rm` of a container that pings its gateway once, on a cnm
//     bridge network and on Docker's own bridge driver (a user-defined network,
//     so both have Docker's embedded DNS), alternating, N runs each, in one
//     testbed host with its own dockerd.
//  2. Start-to-reachable across hosts on a cnm overlay: from `docker run -d` on
//     host 2 or 3 until a container on host 1 gets an answer from it.
//
//   npm run bench -- docker [--runs 30] [--overlay-runs 20]
import { percentile, median } from "./reference/index.js";
import { BUSYBOX_IMAGE, cnmdDockerArgs, DockerdProcess, importBusyboxImage, Testbed } from "../src/testbed/index.js";

function parseArgs(argv: string[]): { runs: number; overlayRuns: number } {
  let runs = 30;
  let overlayRuns = 20;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") runs = Number(argv[++i]);
    else if (argv[i] === "--overlay-runs") overlayRuns = Number(argv[++i]);
  }
  if (!(runs > 0 && overlayRuns > 0)) throw new Error("--runs and --overlay-runs take positive numbers");
  return { runs, overlayRuns };
}

const round = (x: number) => Math.round(x * 10) / 10;

async function docker(d: DockerdProcess, args: string[]): Promise<string> {
  const r = await d.docker(args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Wall time of `docker run --rm ... ping -c1 <gateway>` on each network, alternating so both meet the same machine. */
async function measureRuns(runs: number): Promise<{ cnm: number[]; bridge: number[] }> {
  const bed = await Testbed.start({ hosts: 1, cnmdArgs: (h) => cnmdDockerArgs(h) });
  const d = DockerdProcess.inHost(bed.hosts[0]!);
  try {
    await d.start();
    console.log(`[docker] dockerd ${(await d.version()).Version}, storage driver ${(await docker(d, ["info", "--format", "{{.Driver}}"])).trim()}`);
    await importBusyboxImage(d.client);
    await docker(d, ["network", "create", "-d", "cnm", "--ipam-driver", "cnm", "-o", "cnm.driver=bridge", "--subnet", "10.95.0.0/24", "on-cnm"]);
    await docker(d, ["network", "create", "-d", "bridge", "--subnet", "10.96.0.0/24", "on-docker"]);
    const runOn = async (network: string, gateway: string): Promise<number> => {
      const t0 = performance.now();
      await docker(d, ["run", "--rm", "--network", network, BUSYBOX_IMAGE, "ping", "-c1", "-W2", gateway]);
      return performance.now() - t0;
    };
    // One untimed run each: the first start of a network pays one-off costs (plugin activation, bridge up).
    await runOn("on-cnm", "10.95.0.1");
    await runOn("on-docker", "10.96.0.1");
    const out = { cnm: [] as number[], bridge: [] as number[] };
    for (let i = 0; i < runs; i++) {
      // The order alternates too, so neither always runs right after the other.
      if (i % 2 === 0) {
        out.cnm.push(await runOn("on-cnm", "10.95.0.1"));
        out.bridge.push(await runOn("on-docker", "10.96.0.1"));
      } else {
        out.bridge.push(await runOn("on-docker", "10.96.0.1"));
        out.cnm.push(await runOn("on-cnm", "10.95.0.1"));
      }
      if ((i + 1) % 5 === 0) console.log(`[docker] ${i + 1}/${runs} runs on each network`);
    }
    return out;
  } finally {
    await d.close();
    await bed.close();
  }
}

/** From `docker run -d` on host 2 or 3 to the first answer to a ping from host 1's container. */
async function measureOverlay(runs: number): Promise<number[]> {
  const bed = await Testbed.start({ hosts: 3, etcd: true, cnmdArgs: (h) => cnmdDockerArgs(h, { dns: true }), onProgress: (m) => console.log(`[testbed] ${m}`) });
  const dockerds = bed.hosts.map((h) => DockerdProcess.inHost(h, { extraArgs: ["--dns", h.address] }));
  try {
    await Promise.all(dockerds.map(async (d) => {
      await d.start();
      await importBusyboxImage(d.client);
    }));
    const made = await bed.hosts[0]!.cnm(["network", "create", "-d", "overlay", "--subnet", "10.97.0.0/24", "ov"]);
    if (made.code !== 0) throw new Error(made.stderr);
    for (const d of dockerds) {
      for (let t = Date.now(); !(await docker(d, ["network", "ls", "--format", "{{.Name}}"])).includes("ov"); ) {
        if (Date.now() - t > 30_000) throw new Error("ov did not reach every dockerd");
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    // The prober retries ARP every 10 ms (the kernel's floor) rather than every second: a probe sent
    // before the overlay knows the address fails its first ARP, and a 1 s retry would time the instrument.
    await docker(dockerds[0]!, [
      "run", "-d", "--name", "probe", "--network", "ov",
      "--sysctl", "net.ipv4.neigh.eth0.retrans_time_ms=10", "--sysctl", "net.ipv4.neigh.eth0.mcast_solicit=200",
      BUSYBOX_IMAGE, "sleep", "3600",
    ]);
    const times: number[] = [];
    const runTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      const host = 1 + (i % 2);
      const ip = `10.97.0.${100 + i}`;
      // The prober starts first and pings until the first answer; the clock starts with docker run. A ping
      // leaves every 20 ms (busybox's ping waits whole seconds for its answer, so each is one of a
      // staggered crowd): an echo lost while the new container's interface is not up yet costs 20 ms, not 1 s.
      const flag = `/tmp/reached-${i}`;
      const probe = docker(dockerds[0]!, [
        "exec", "probe", "sh", "-c",
        `until [ -e ${flag} ]; do (ping -q -c1 -W1 ${ip} && touch ${flag}) >/dev/null 2>&1 & sleep 0.02; done`,
      ]);
      await new Promise((r) => setTimeout(r, 150));
      const t0 = performance.now();
      await docker(dockerds[host]!, ["run", "-d", "--name", `s${i}`, "--network", "ov", "--ip", ip, BUSYBOX_IMAGE, "sleep", "3600"]);
      const started = performance.now() - t0;
      await probe;
      times.push(performance.now() - t0);
      runTimes.push(started);
      if ((i + 1) % 5 === 0) console.log(`[docker] overlay ${i + 1}/${runs}: last ${times.at(-1)!.toFixed(0)} ms (docker run -d returned after ${runTimes.at(-1)!.toFixed(0)} ms)`);
    }
    return times;
  } finally {
    await Promise.allSettled(dockerds.map((d) => d.close()));
    await bed.close();
  }
}

async function main(): Promise<void> {
  const { runs, overlayRuns } = parseArgs(process.argv.slice(2));
  console.log(`== docker run --rm ... ping <gateway>, ${runs} runs on each network`);
  const r = await measureRuns(runs);
  const cnm50 = median(r.cnm);
  const br50 = median(r.bridge);
  console.log(`cnm bridge: p50 ${cnm50.toFixed(0)} ms, p99 ${percentile(r.cnm, 99).toFixed(0)} ms; Docker's bridge: p50 ${br50.toFixed(0)} ms, p99 ${percentile(r.bridge, 99).toFixed(0)} ms`);
  console.log(`\n== start-to-reachable across hosts on a cnm overlay, ${overlayRuns} containers`);
  const ov = await measureOverlay(overlayRuns);
  console.log(`overlay start-to-reachable: p50 ${median(ov).toFixed(0)} ms, p99 ${percentile(ov, 99).toFixed(0)} ms`);
  console.log(
    JSON.stringify({
      run_p50_ms_cnm: round(cnm50),
      run_p99_ms_cnm: round(percentile(r.cnm, 99)),
      run_p50_ms_docker_bridge: round(br50),
      run_p99_ms_docker_bridge: round(percentile(r.bridge, 99)),
      overhead_ratio_p50: Math.round((cnm50 / br50) * 1000) / 1000,
      overlay_start_to_reachable_p50_ms: round(median(ov)),
      overlay_start_to_reachable_p99_ms: round(percentile(ov, 99)),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
