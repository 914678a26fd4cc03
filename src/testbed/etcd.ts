/**
 * A real etcd server (Debian's etcd-server) for tests, benchmarks and labs:
 * started on an address of the caller's choosing, optionally inside a network
 * namespace, with its data in a directory of its own; killed, restarted on the
 * same data, and removed with that directory afterwards.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface EtcdOptions {
  /** Address to listen on (clients and peers). Default 127.0.0.1. */
  readonly host?: string;
  /** Client port; default 0 picks a free one when host is loopback, else 2379. */
  readonly clientPort?: number;
  /** Peer port; default clientPort + 1. */
  readonly peerPort?: number;
  /** Run inside this named network namespace (`ip netns exec`). */
  readonly netns?: string;
  /** Member name, also in the data directory's name. Default "cnm-test". */
  readonly name?: string;
  /** How long to wait for "ready to serve client requests". Default 20 s. */
  readonly startTimeoutMs?: number;
  /** Called with each line etcd logs (progress, debugging). */
  readonly onLog?: (line: string) => void;
}

const ETCD_BIN = "/usr/bin/etcd";

/** One etcd member that is its own cluster. */
export class EtcdProcess {
  private child: ChildProcess | undefined;
  private readonly dataDir: string;
  readonly host: string;
  readonly clientPort: number;
  readonly peerPort: number;

  private constructor(private readonly options: EtcdOptions, clientPort: number) {
    this.host = options.host ?? "127.0.0.1";
    this.clientPort = clientPort;
    this.peerPort = options.peerPort ?? clientPort + 1;
    this.dataDir = mkdtempSync(join(tmpdir(), `etcd-${options.name ?? "cnm-test"}-`));
  }

  /** Starts etcd and resolves once it serves clients. */
  static async start(options: EtcdOptions = {}): Promise<EtcdProcess> {
    const port = options.clientPort ?? (options.netns === undefined ? await freePortPair() : 2379);
    const etcd = new EtcdProcess(options, port);
    try {
      await etcd.restart();
    } catch (err) {
      etcd.remove();
      throw err;
    }
    return etcd;
  }

  /** "HOST:PORT", as cnmd's --cluster-store etcd://HOST:PORT takes it. */
  get endpoint(): string {
    return `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.clientPort}`;
  }

  get url(): string {
    return `http://${this.endpoint}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the process (again) on the same data directory. */
  async restart(): Promise<void> {
    if (this.child) throw new Error("etcd is already running");
    const name = this.options.name ?? "cnm-test";
    const h = this.host.includes(":") ? `[${this.host}]` : this.host;
    const peer = `http://${h}:${this.peerPort}`;
    const args = [
      "--name", name,
      "--data-dir", this.dataDir,
      "--listen-client-urls", this.url,
      "--advertise-client-urls", this.url,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer,
      "--initial-cluster", `${name}=${peer}`,
      "--initial-cluster-state", "new",
      // Tests write little: keep etcd's memory and disk small.
      "--quota-backend-bytes", String(256 * 1024 * 1024),
      "--snapshot-count", "10000",
    ];
    const [cmd, argv] = this.options.netns === undefined ? [ETCD_BIN, args] : ["ip", ["netns", "exec", this.options.netns, ETCD_BIN, ...args]];
    const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    await new Promise<void>((resolve, reject) => {
      let buffered = "";
      let log = "";
      const timer = setTimeout(() => fail(new Error(`etcd did not become ready within ${timeoutMs} ms:\n${log.slice(-2000)}`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(err);
      };
      child.once("error", fail);
      child.once("exit", (code, signal) => {
        if (this.child === child) this.child = undefined;
        fail(new Error(`etcd exited (${signal ?? code}) before it was ready:\n${log.slice(-2000)}`));
      });
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (chunk: string) => {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (log.length < 64 * 1024) log += line + "\n";
          this.options.onLog?.(line);
          if (line.includes("ready to serve client requests")) {
            clearTimeout(timer);
            child.removeAllListeners("exit");
            child.once("exit", () => {
              if (this.child === child) this.child = undefined;
            });
            resolve();
          }
        }
      });
    });
  }

  /** kill -9: what a crashed etcd looks like to its clients. Resolves once it is gone. */
  async kill(): Promise<void> {
    await this.stopWith("SIGKILL");
  }

  /** SIGTERM, and wait for the exit. */
  async stop(): Promise<void> {
    await this.stopWith("SIGTERM");
  }

  /** Stops the process if it runs and removes its data directory. */
  async close(): Promise<void> {
    await this.kill();
    this.remove();
  }

  private async stopWith(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await gone;
    this.child = undefined;
  }

  private remove(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A client port whose successor (the peer port) is free too, on loopback. */
async function freePortPair(): Promise<number> {
  const { createServer } = await import("node:net");
  const listen = (port: number) =>
    new Promise<import("node:net").Server | undefined>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(undefined));
      s.listen(port, "127.0.0.1", () => resolve(s));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = await listen(0);
    if (!first) continue;
    const port = (first.address() as import("node:net").AddressInfo).port;
    const second = port < 65535 ? await listen(port + 1) : undefined;
    await new Promise((r) => first.close(r));
    if (second) {
      await new Promise((r) => second.close(r));
      return port;
    }
  }
  throw new Error("no two consecutive free ports on 127.0.0.1");
}
