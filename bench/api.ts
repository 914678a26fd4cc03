// API benchmark: connect + disconnect of sandboxes to one bridge network
// through cnm's HTTP API on a unix socket, against the same work through the
// library in-process. One op = one connect followed by one disconnect of a
// client's own sandbox. Clients are concurrent loops, each with its own
// sandbox and (for the API) its own keep-alive agent; the API's clients run in
// a worker thread, as a separate client process would, so the daemon's event
// loop carries only the server's work.
//
//   npm run bench -- api [--rounds 3] [--ops1 60] [--ops10 20]
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { createApiServer } from "../src/api/index.js";
import { createLinuxController, type Controller } from "../src/index.js";
import { median, percentile } from "./reference/index.js";

interface LoadJob {
  readonly socketPath: string;
  readonly network: string;
  readonly sandboxes: readonly string[];
  readonly opsPerClient: number;
}

interface LoadResult {
  /** Latency of each op (connect + disconnect), ms. */
  readonly latencies: number[];
  readonly wallMs: number;
}

/** POST with a JSON body over a keep-alive agent; resolves on 200, rejects otherwise. */
function post(socketPath: string, agent: Agent, path: string, body: object): Promise<void> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, agent, method: "POST", path, headers: { "content-type": "application/json", "content-length": payload.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode} ${Buffer.concat(chunks)}`))));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** Runs `clients` concurrent loops of `ops` ops each; `op(i)` is client i's op. */
async function runClients(clients: number, ops: number, op: (client: number) => Promise<void>, progress: (done: number) => void): Promise<LoadResult> {
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < ops; i++) {
        const s = performance.now();
        await op(c);
        latencies.push(performance.now() - s);
        progress(latencies.length);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - t0 };
}

/** The worker side: HTTP clients against the socket. */
async function loadWorker(job: LoadJob): Promise<void> {
  const agents = job.sandboxes.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  const net = encodeURIComponent(job.network);
  const result = await runClients(
    job.sandboxes.length,
    job.opsPerClient,
    async (c) => {
      await post(job.socketPath, agents[c]!, `/v1.48/networks/${net}/connect`, { Container: job.sandboxes[c], EndpointConfig: {} });
      await post(job.socketPath, agents[c]!, `/v1.48/networks/${net}/disconnect`, { Container: job.sandboxes[c], Force: false });
    },
    (done) => parentPort!.postMessage({ progress: done }),
  );
  for (const a of agents) a.destroy();
  parentPort!.postMessage({ result });
}

function viaApi(job: LoadJob, onProgress: (done: number) => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.on("message", (m: { progress?: number; result?: LoadResult }) => {
      if (m.progress !== undefined) onProgress(m.progress);
      if (m.result) resolve(m.result);
    });
    w.on("error", reject);
    w.on("exit", (code) => code !== 0 && reject(new Error(`load worker exited with ${code}`)));
  });
}

function tenths(label: string, total: number): (done: number) => void {
  let next = 1;
  return (done) => {
    if (done * 10 >= next * total) {
      while (done * 10 >= next * total) next++;
      if (done === total || next % 2 === 1) console.log(`  [${label}] ${done}/${total}`);
    }
  };
}

function parseArgs(argv: string[]): { rounds: number; ops1: number; ops10: number } {
  const o = { rounds: 3, ops1: 60, ops10: 20 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!.replace(/^--/, "") as keyof typeof o;
    if (k in o) o[k] = Number(argv[++i]);
  }
  return o;
}

const ops = (r: LoadResult): number => (r.latencies.length * 1000) / r.wallMs;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const { rounds, ops1, ops10 } = parseArgs(process.argv.slice(2));
  const prefix = `b${randomBytes(2).toString("hex")}`;
  const socketPath = `/run/cnm-bench/${prefix}-api.sock`;
  const c: Controller = await createLinuxController({ prefix, runDir: `/run/cnm-bench/${prefix}`, watchFirewall: false });
  const server = createApiServer(c);
  const samples: Record<string, LoadResult[]> = { lib1: [], api1: [], lib10: [], api10: [] };
  try {
    await c.createNetwork({ name: "bench", ipam: { config: [{ subnet: "10.214.0.0/24" }] } });
    const sandboxes: string[] = [];
    for (let i = 0; i < 10; i++) sandboxes.push((await c.createSandbox({ name: `${prefix}-s${i}` })).sandbox.name);
    await server.listen(socketPath);
    const lib = (n: number, perClient: number, label: string): Promise<LoadResult> =>
      runClients(n, perClient, async (i) => {
        await c.connect("bench", sandboxes[i]!);
        await c.disconnect("bench", sandboxes[i]!);
      }, tenths(label, n * perClient));
    const api = (n: number, perClient: number, label: string): Promise<LoadResult> =>
      viaApi({ socketPath, network: "bench", sandboxes: sandboxes.slice(0, n), opsPerClient: perClient }, tenths(label, n * perClient));

    // Warm both paths (JIT, first-use allocations) before measuring.
    await lib(1, 10, "warm-up library");
    await api(1, 10, "warm-up api");
    for (let r = 1; r <= rounds; r++) {
      console.log(`round ${r}/${rounds}`);
      // Alternated, so drift on the shared machine falls on both sides alike.
      samples.lib1!.push(await lib(1, ops1, "library, 1 client"));
      samples.api1!.push(await api(1, ops1, "api, 1 client"));
      samples.lib10!.push(await lib(10, ops10, "library, 10 clients"));
      samples.api10!.push(await api(10, ops10, "api, 10 clients"));
      const last = (k: string) => samples[k]![samples[k]!.length - 1]!;
      console.log(
        `  ops/s: library ${ops(last("lib1")).toFixed(1)} / api ${ops(last("api1")).toFixed(1)} (1 client); ` +
          `library ${ops(last("lib10")).toFixed(1)} / api ${ops(last("api10")).toFixed(1)} (10 clients)`,
      );
    }
  } finally {
    await server.close();
    await c.destroyAll();
    await c.close();
    rmSync(`/run/cnm-bench/${prefix}`, { recursive: true, force: true });
  }

  const throughput = (k: string) => median(samples[k]!.map(ops));
  const p95 = (k: string) => percentile(samples[k]!.flatMap((s) => s.latencies), 95);
  const p50 = (k: string) => median(samples[k]!.flatMap((s) => s.latencies));
  const figures = {
    api_ops_per_s_1: round3(throughput("api1")),
    api_ops_per_s_10: round3(throughput("api10")),
    api_p95_ms_1: round3(p95("api1")),
    api_p95_ms_10: round3(p95("api10")),
    lib_ops_per_s_1: round3(throughput("lib1")),
    lib_ops_per_s_10: round3(throughput("lib10")),
    lib_p95_ms_1: round3(p95("lib1")),
    lib_p95_ms_10: round3(p95("lib10")),
    api_p50_ms_10: round3(p50("api10")),
    lib_p50_ms_10: round3(p50("lib10")),
    api_overhead_ratio_1: round3(throughput("lib1") / throughput("api1")),
    api_overhead_ratio: round3(throughput("lib10") / throughput("api10")),
  };
  console.log("\none op = connect + disconnect of the client's own sandbox; throughput is the median of rounds, p95 over all ops");
  console.log(`1 client:   library ${figures.lib_ops_per_s_1} ops/s (p95 ${figures.lib_p95_ms_1} ms), api ${figures.api_ops_per_s_1} ops/s (p95 ${figures.api_p95_ms_1} ms), ratio ${figures.api_overhead_ratio_1}`);
  console.log(`10 clients: library ${figures.lib_ops_per_s_10} ops/s (p50 ${figures.lib_p50_ms_10}, p95 ${figures.lib_p95_ms_10} ms), api ${figures.api_ops_per_s_10} ops/s (p50 ${figures.api_p50_ms_10}, p95 ${figures.api_p95_ms_10} ms), ratio ${figures.api_overhead_ratio} (target <= 1.5)`);
  console.log(JSON.stringify(figures));
}

if (isMainThread) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  void loadWorker(workerData as LoadJob);
}
