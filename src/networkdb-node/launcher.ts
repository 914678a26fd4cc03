/**
 * Start networkdb-node processes and drive them over their HTTP surface:
 * what tests, benchmarks and lab scripts need to run a real cluster of
 * processes on one host (every node on 127.0.0.1 with ports the kernel
 * picks, so runs never collide).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** bin/networkdb-node, from dist/src/networkdb-node/launcher.js. */
export const NODE_BIN = fileURLToPath(new URL("../../../bin/networkdb-node", import.meta.url));

export interface LaunchOptions {
  nodeName?: string;
  /** Address of the gossip listener (default 127.0.0.1; any 127.x.y.z works on lo, which lets a firewall tell nodes apart). */
  bindAddr?: string;
  /** Gossip addresses ("127.0.0.1:port") to join at start. */
  join?: readonly string[];
  /** Base64 keys (--key, in order). */
  keys?: readonly string[];
  /** More flags (timings, --direct-fanout...). */
  args?: readonly string[];
  /** Flags for node itself (e.g. --cpu-prof), before the script. */
  nodeFlags?: readonly string[];
  /** How long to wait for the ready line (default 15 s: 30 nodes starting on 2 cores take a while). */
  startTimeoutMs?: number;
}

/** A table event as /events streams it. */
export interface StreamedEvent {
  type: "create" | "update" | "delete";
  tname: string;
  nid: string;
  key: string;
  value: string;
  /** CLOCK_MONOTONIC nanoseconds when the node delivered it (compare with process.hrtime.bigint()). */
  t_ns: bigint;
}

/** A live /events stream. */
export interface EventStream {
  close(): void;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

export class NodeProcess {
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly name: string,
    readonly bindAddr: string,
    /** The gossip port (UDP and TCP). */
    readonly port: number,
    readonly httpPort: number,
    private readonly stderr: string[],
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });
  }

  /** "addr:port", what another node joins. */
  get gossipAddr(): string {
    return `${this.bindAddr}:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The last lines the node wrote on stderr (for failure messages). */
  get stderrTail(): string {
    return this.stderr.slice(-20).join("\n");
  }

  static async start(options: LaunchOptions = {}): Promise<NodeProcess> {
    const bindAddr = options.bindAddr ?? "127.0.0.1";
    const args = [...(options.nodeFlags ?? []), NODE_BIN, "--bind-addr", bindAddr, "--port", "0", "--http-port", "0"];
    if (options.nodeName !== undefined) args.push("--node-name", options.nodeName);
    if (options.join !== undefined && options.join.length > 0) args.push("--join", options.join.join(","));
    for (const key of options.keys ?? []) args.push("--key", key);
    args.push(...(options.args ?? []));
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    const stderr: string[] = [];
    createInterface({ input: child.stderr! }).on("line", (line) => {
      stderr.push(line);
      if (stderr.length > 200) stderr.shift();
    });
    const lines = createInterface({ input: child.stdout! });
    const ready = await new Promise<{ node: string; port: number; httpPort: number }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`networkdb-node did not start in time: ${stderr.join("\n")}`));
      }, options.startTimeoutMs ?? 15_000);
      lines.once("line", (line) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as { node: string; port: number; httpPort: number });
        } catch {
          reject(new Error(`networkdb-node: unexpected first line ${line}`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`networkdb-node exited (${code}): ${stderr.join("\n")}`));
      });
    });
    return new NodeProcess(child, ready.node, bindAddr, ready.port, ready.httpPort, stderr);
  }

  /** GET a command path; resolves to the body (the text form unless `json` is among the params). */
  get(path: string, params: Record<string, string | true> = {}): Promise<string> {
    const query = Object.entries(params)
      .map(([k, v]) => (v === true ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
      .join("&");
    return new Promise((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: this.httpPort, path: query === "" ? path : `${path}?${query}`, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  /** A command with `json`: its parsed {message, details}. */
  async json<T = unknown>(path: string, params: Record<string, string | true> = {}): Promise<{ message: string; details: T }> {
    return JSON.parse(await this.get(path, { ...params, json: true })) as { message: string; details: T };
  }

  /** A command that must answer OK (throws with the node's words otherwise). */
  async ok(path: string, params: Record<string, string | true> = {}): Promise<void> {
    const body = await this.get(path, params);
    if (!body.startsWith("OK")) throw new Error(`${this.name} ${path}: ${body}`);
  }

  /** Names of the cluster members this node sees alive. */
  async clusterPeers(): Promise<string[]> {
    const r = await this.json<{ entries: { "-=name": string }[] | null }>("/clusterpeers");
    return (r.details.entries ?? []).map((e) => e["-=name"]);
  }

  /** Names of the nodes this node sees in a network. */
  async networkPeers(nid: string): Promise<string[]> {
    const r = await this.json<{ entries: { "-=name": string }[] | null }>("/networkpeers", { nid });
    return (r.details.entries ?? []).map((e) => e["-=name"]);
  }

  /** NetworkDB diagnostics and process memory (see src/networkdb-node/extensions.ts). */
  async diagnostics(options: { entries?: boolean; gc?: boolean } = {}): Promise<Record<string, unknown>> {
    const params: Record<string, true> = {};
    if (options.entries) params.entries = true;
    if (options.gc) params.gc = true;
    return JSON.parse(await this.get("/diagnostics", params)) as Record<string, unknown>;
  }

  /**
   * Follow the table events this node hears (filtered by table/network);
   * resolves once the watch is in place on the node.
   */
  events(filter: { tname?: string; nid?: string; batchMs?: number }, onEvent: (e: StreamedEvent) => void): Promise<EventStream> {
    const query = new URLSearchParams();
    if (filter.batchMs !== undefined) query.set("batch", String(filter.batchMs));
    if (filter.tname !== undefined) query.set("tname", filter.tname);
    if (filter.nid !== undefined) query.set("nid", filter.nid);
    return new Promise((resolve, reject) => {
      let closing = false;
      const req = request({ host: "127.0.0.1", port: this.httpPort, path: `/events?${query}` }, (res) => {
        // Closing our end aborts the response: expected, not an error.
        res.on("error", (err) => {
          if (!closing) reject(err);
        });
        const lines = createInterface({ input: res });
        lines.on("error", (err) => {
          if (!closing) reject(err);
        });
        lines.on("line", (line) => {
          const raw = JSON.parse(line) as Record<string, string>;
          if (raw.type === "watching") {
            resolve({
              close: () => {
                closing = true;
                req.destroy();
              },
            });
            return;
          }
          onEvent({ ...(raw as unknown as StreamedEvent), t_ns: BigInt(raw.t_ns!) });
        });
      });
      req.on("error", (err) => {
        if (!closing) reject(err);
      });
      req.end();
    });
  }

  /** Send a signal and wait for the process to end. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }

  /** Graceful stop (SIGTERM: the node leaves the cluster), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.kill("SIGTERM");
    clearTimeout(timer);
  }
}

/** Poll `check` every `everyMs` until it returns true; throws after `timeoutMs` with `what`. */
export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Start `n` nodes: the first alone, each next one joining the first; resolves
 * when every node sees all `n` alive.
 */
export async function startCluster(n: number, options: LaunchOptions = {}, onProgress?: (started: number) => void): Promise<NodeProcess[]> {
  const nodes: NodeProcess[] = [];
  try {
    const first = await NodeProcess.start(options);
    nodes.push(first);
    onProgress?.(1);
    // Start the others a few at a time: 30 Node processes booting at once on 2 cores time out.
    const batch = 4;
    for (let i = 1; i < n; i += batch) {
      const started = await Promise.all(
        Array.from({ length: Math.min(batch, n - i) }, () => NodeProcess.start({ ...options, join: [first.gossipAddr] })),
      );
      nodes.push(...started);
      onProgress?.(nodes.length);
    }
    await waitUntil(`${n} nodes to see each other`, async () => {
      const views = await Promise.all(nodes.map((node) => node.clusterPeers()));
      return views.every((v) => v.length === n);
    }, 60_000, 100);
    return nodes;
  } catch (err) {
    await Promise.all(nodes.map((node) => node.kill()));
    throw err;
  }
}
