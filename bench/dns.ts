// DNS benchmark: queries/second and p99 latency of cnm's embedded resolver
// for a local name and a forwarded one, against aardvark-dns (podman's
// container DNS) serving the same names in the same run, on this machine.
// Both are measured by the same load generator (bench/_dns-load.ts: one UDP
// socket in the sandbox namespace, a fixed number of queries outstanding
// for a fixed time); the forwarded name goes to the same upstream
// (bench/_dns-upstream.ts) in a second namespace behind a veth pair.
//
//   npm run bench -- dns [--seconds 4] [--outstanding 50]
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startResolver, type EmbeddedResolver } from "../src/resolver/index.js";

const run = promisify(execFile);
const AARDVARK = "/usr/lib/podman/aardvark-dns";
const HERE = dirname(fileURLToPath(import.meta.url));

const GATEWAY = "10.89.0.1"; // where aardvark-dns listens
const CLIENT = "10.89.0.2"; // the querying "container" (aardvark answers only known sources)
const WEB_V4 = "10.89.0.3";
const SANDBOX_SIDE = "198.51.100.1";
const UPSTREAM = "198.51.100.2";
const LOCAL_NAME = "web";
const FOREIGN_NAME = "www.example.org";

interface LoadResult {
  qps: number;
  p50_ms: number;
  p99_ms: number;
  completed: number;
  /** Answers over the whole run, warm-up included. */
  answered: number;
  lost: number;
  errors: number;
}

function parseArgs(argv: string[]): { seconds: number; outstanding: number } {
  let seconds = 4;
  let outstanding = 50;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--seconds") seconds = Number(argv[++i]);
    else if (argv[i] === "--outstanding") outstanding = Number(argv[++i]);
  }
  return { seconds, outstanding };
}

function ensureAardvark(): void {
  if (existsSync(AARDVARK)) return;
  console.log("[dns] installing aardvark-dns (apt-get)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "aardvark-dns"], { stdio: "inherit", env });
}

function ip(...args: string[]): void {
  execFileSync("ip", args);
}

function makeNetwork(sandbox: string, upstream: string, prefix: string): void {
  ip("netns", "add", sandbox);
  ip("netns", "add", upstream);
  for (const ns of [sandbox, upstream]) ip("-n", ns, "link", "set", "lo", "up");
  // The bridge side aardvark-dns listens on, and the client's own address
  // (on lo: this kernel may lack the dummy link kind; both are local either way).
  ip("-n", sandbox, "addr", "add", `${GATEWAY}/32`, "dev", "lo");
  ip("-n", sandbox, "addr", "add", `${CLIENT}/32`, "dev", "lo");
  ip("link", "add", `${prefix}-a`, "netns", sandbox, "type", "veth", "peer", `${prefix}-b`, "netns", upstream);
  ip("-n", sandbox, "addr", "add", `${SANDBOX_SIDE}/24`, "dev", `${prefix}-a`);
  ip("-n", upstream, "addr", "add", `${UPSTREAM}/24`, "dev", `${prefix}-b`);
  ip("-n", sandbox, "link", "set", `${prefix}-a`, "up");
  ip("-n", upstream, "link", "set", `${prefix}-b`, "up");
}

/** Spawns `node script args` inside `ns` and waits for its first line of output. */
async function spawnReady(ns: string, script: string, args: string[]): Promise<ChildProcess> {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, join(HERE, script), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return child;
}

async function startAardvark(sandbox: string, configDir: string): Promise<number> {
  mkdirSync(configDir, { recursive: true });
  // One file per network: listen addresses and upstream, then one line per
  // container: id, IPv4s, IPv6s, names.
  writeFileSync(
    join(configDir, "bench"),
    [`${GATEWAY} ${UPSTREAM}`, `${"c".repeat(64)} ${CLIENT} fd89::2 client`, `${"w".repeat(64)} ${WEB_V4} fd89::3 ${LOCAL_NAME}`, ""].join("\n"),
  );
  // `run` forks a daemon and returns once it listens; it writes its pid.
  await run("ip", ["netns", "exec", sandbox, AARDVARK, "--config", configDir, "-p", "53", "run"], { timeout: 10_000 });
  return Number(readFileSync(join(configDir, "aardvark.pid"), "utf8").trim());
}

async function digShort(sandbox: string, server: string, source: string, name: string): Promise<string> {
  const { stdout } = await run("ip", ["netns", "exec", sandbox, "dig", "+short", "+time=2", "+tries=2", "-b", source, `@${server}`, name, "A"]);
  return stdout.trim();
}

async function load(sandbox: string, server: string, source: string, name: string, seconds: number, outstanding: number): Promise<LoadResult> {
  const script = join(HERE, "_dns-load.js");
  const { stdout } = await run(
    "ip",
    ["netns", "exec", sandbox, process.execPath, script, server, "53", source, name, "A", "1000", String(seconds * 1000), String(outstanding)],
    { timeout: (seconds + 30) * 1000 },
  );
  return JSON.parse(stdout.trim().split("\n").pop()!) as LoadResult;
}

/** CPU time (user + system, every thread) a process has used, in microseconds; this process's own for "self". */
function cpuMicros(pid: number | "self"): number {
  if (pid === "self") {
    const u = process.cpuUsage();
    return u.user + u.system;
  }
  // Fields 14 and 15 of /proc/PID/stat (after the parenthesised name): utime and stime, in clock ticks (100/s).
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

const round = (n: number, digits = 3): number => Number(n.toFixed(digits));

async function main(): Promise<void> {
  const { seconds, outstanding } = parseArgs(process.argv.slice(2));
  ensureAardvark();
  const prefix = `b${randomBytes(2).toString("hex")}`;
  const sandbox = `${prefix}-dsb`;
  const upstreamNs = `${prefix}-dup`;
  const configDir = `/run/cnm-bench/${prefix}/aardvark`;
  let upstream: ChildProcess | undefined;
  let resolver: EmbeddedResolver | undefined;
  let aardvarkPid: number | undefined;
  try {
    console.log(`[dns] namespaces ${sandbox}, ${upstreamNs}`);
    makeNetwork(sandbox, upstreamNs, prefix);
    upstream = await spawnReady(upstreamNs, "_dns-upstream.js", [UPSTREAM, "53"]);
    resolver = await startResolver({
      namespace: `/run/netns/${sandbox}`,
      records: {
        lookupName: (name) => (name === LOCAL_NAME ? { ipv4: [WEB_V4], ipv6: ["fd89::3"] } : undefined),
        lookupAddress: () => undefined,
      },
      upstreams: [{ address: UPSTREAM }],
      onError: (e) => console.error("[cnm] resolver:", e),
    });
    aardvarkPid = await startAardvark(sandbox, configDir);
    console.log(`[dns] aardvark-dns pid ${aardvarkPid} on ${GATEWAY}:53, cnm on 127.0.0.11:53, upstream on ${UPSTREAM}:53`);

    // Both must give the same answers before anything is measured.
    for (const [label, server, source] of [["cnm", "127.0.0.11", "127.0.0.1"], ["aardvark", GATEWAY, CLIENT]] as const) {
      const local = await digShort(sandbox, server, source, LOCAL_NAME);
      const foreign = await digShort(sandbox, server, source, FOREIGN_NAME);
      console.log(`[dns] ${label}: ${LOCAL_NAME} -> ${local}, ${FOREIGN_NAME} -> ${foreign}`);
      if (local !== WEB_V4 || foreign !== "192.0.2.1") throw new Error(`${label} does not answer as expected`);
    }

    const results: Record<string, LoadResult> = {};
    /** Server CPU microseconds per answer: what a query costs the server, whatever the generator can send. */
    const cpuPerAnswer: Record<string, number> = {};
    for (const [key, server, source, name] of [
      ["cnm_local", "127.0.0.11", "127.0.0.1", LOCAL_NAME],
      ["aardvark_local", GATEWAY, CLIENT, LOCAL_NAME],
      ["cnm_forwarded", "127.0.0.11", "127.0.0.1", FOREIGN_NAME],
      ["aardvark_forwarded", GATEWAY, CLIENT, FOREIGN_NAME],
    ] as const) {
      console.log(`[dns] ${key}: ${seconds} s, ${outstanding} outstanding...`);
      const serverPid = key.startsWith("cnm") ? ("self" as const) : aardvarkPid;
      const cpuBefore = cpuMicros(serverPid);
      const r = await load(sandbox, server, source, name, seconds, outstanding);
      cpuPerAnswer[key] = (cpuMicros(serverPid) - cpuBefore) / r.answered;
      console.log(
        `[dns] ${key}: ${Math.round(r.qps)} q/s, p50 ${round(r.p50_ms)} ms, p99 ${round(r.p99_ms)} ms, lost ${r.lost}, errors ${r.errors}, server CPU ${round(cpuPerAnswer[key]!, 1)} us/answer`,
      );
      results[key] = r;
    }
    // The floor of any Node resolver here: the minimal DNS server (one canned
    // answer, no parsing, no lookup) in its own process, same generator.
    const minimal = await spawnReady(sandbox, "_dns-upstream.js", ["127.0.0.1", "53"]);
    try {
      console.log(`[dns] minimal Node DNS server: ${seconds} s, ${outstanding} outstanding...`);
      const cpuBefore = cpuMicros(minimal.pid!);
      const m = await load(sandbox, "127.0.0.1", "127.0.0.1", LOCAL_NAME, seconds, outstanding);
      cpuPerAnswer.minimal = (cpuMicros(minimal.pid!) - cpuBefore) / m.answered;
      results.minimal = m;
      console.log(`[dns] minimal Node DNS server: ${Math.round(m.qps)} q/s, p99 ${round(m.p99_ms)} ms, server CPU ${round(cpuPerAnswer.minimal, 1)} us/answer`);
    } finally {
      minimal.kill("SIGTERM");
    }
    const r = results as Record<"cnm_local" | "aardvark_local" | "cnm_forwarded" | "aardvark_forwarded", LoadResult>;
    console.log(
      JSON.stringify({
        bench: "dns",
        seconds,
        outstanding,
        local_qps: Math.round(r.cnm_local.qps),
        aardvark_local_qps: Math.round(r.aardvark_local.qps),
        speedup_vs_aardvark: round(r.cnm_local.qps / r.aardvark_local.qps, 2),
        p99_local_ms: round(r.cnm_local.p99_ms),
        cpu_us_per_local_query: round(cpuPerAnswer.cnm_local!, 1),
        aardvark_cpu_us_per_local_query: round(cpuPerAnswer.aardvark_local!, 1),
        aardvark_p99_local_ms: round(r.aardvark_local.p99_ms),
        forwarded_qps: Math.round(r.cnm_forwarded.qps),
        aardvark_forwarded_qps: Math.round(r.aardvark_forwarded.qps),
        forwarded_speedup_vs_aardvark: round(r.cnm_forwarded.qps / r.aardvark_forwarded.qps, 2),
        p99_forwarded_ms: round(r.cnm_forwarded.p99_ms),
        aardvark_p99_forwarded_ms: round(r.aardvark_forwarded.p99_ms),
        cpu_us_per_forwarded_query: round(cpuPerAnswer.cnm_forwarded!, 1),
        aardvark_cpu_us_per_forwarded_query: round(cpuPerAnswer.aardvark_forwarded!, 1),
        node_minimal_server_qps: Math.round(results.minimal!.qps),
        node_minimal_server_cpu_us_per_query: round(cpuPerAnswer.minimal!, 1),
      }),
    );
  } finally {
    if (aardvarkPid !== undefined) {
      try {
        process.kill(aardvarkPid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
    upstream?.kill("SIGTERM");
    await resolver?.close();
    for (const ns of [sandbox, upstreamNs]) {
      try {
        execFileSync("ip", ["netns", "delete", ns], { stdio: "ignore" });
      } catch {
        // Not made.
      }
    }
    rmSync(`/run/cnm-bench/${prefix}`, { recursive: true, force: true });
  }
}

await main();
