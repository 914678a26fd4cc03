/**
 * One real cnmd, optionally inside a network namespace, with its own data
 * root, socket and prefix, its debug log appended to a file (read back for
 * failure messages); started, stopped (SIGTERM), killed (-9), started again
 * on the same state, and purged (`cnmd --purge`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { defaultPrefix } from "../cmdline/index.js";
import { inNamespace } from "./in-namespace.js";
import { runCommand, type ExecResult } from "./process-run.js";

/** bin/cnmd of this checkout (dist/src/testbed/ -> repo root). */
export const CNMD_BIN = fileURLToPath(new URL("../../../bin/cnmd", import.meta.url));

export interface CnmdOptions {
  readonly dataRoot: string;
  readonly socket: string;
  /** Where stderr (the log) and stdout go, appended across starts. */
  readonly logPath: string;
  /** Kernel object prefix; default cnmd's own, derived from the data root. */
  readonly prefix?: string;
  /** Run inside this named network namespace. */
  readonly netns?: string;
  /** More arguments after the usual ones (cluster flags, tuning); a function is asked at each start. */
  readonly extraArgs?: readonly string[] | (() => readonly string[]);
  /**
   * Where it serves dockerd's plugin socket. Default "none": daemons of tests
   * run side by side, and /run/docker/plugins/cnm.sock is one per machine.
   */
  readonly dockerPluginSocket?: string;
  /** How long start() waits for the socket to answer. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

const STOP_GRACE_MS = 10_000;

export class CnmdProcess {
  private child: ChildProcess | undefined;
  readonly prefix: string;

  constructor(readonly options: CnmdOptions) {
    this.prefix = options.prefix ?? defaultPrefix(options.dataRoot);
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The arguments cnmd is started with (without the extra ones). */
  private baseArgs(): string[] {
    const o = this.options;
    return [
      "--data-root", o.dataRoot,
      "--socket", o.socket,
      "--prefix", this.prefix,
      "--log-level", "debug",
      "--docker-plugin-socket", o.dockerPluginSocket ?? "none",
    ];
  }

  private argv(args: readonly string[]): string[] {
    const argv = [process.execPath, CNMD_BIN, ...args];
    return this.options.netns === undefined ? argv : inNamespace(this.options.netns, argv);
  }

  /**
   * Starts cnmd and resolves once it says it listens and its socket answers
   * GET /_ping. Its own word comes first: another daemon on the same socket
   * (one that holds this data root, say) would answer a ping for it.
   */
  async start(): Promise<void> {
    if (this.child) throw new Error(`cnmd ${this.prefix} is already running`);
    const logFd = openSync(this.options.logPath, "a");
    let child: ChildProcess;
    let logStart: number;
    try {
      writeSync(logFd, `--- testbed: starting cnmd at ${new Date().toISOString()}\n`);
      logStart = fstatSync(logFd).size;
      const extra = this.options.extraArgs;
      const [command, ...args] = this.argv([...this.baseArgs(), ...((typeof extra === "function" ? extra() : extra) ?? [])]);
      child = spawn(command!, args, { stdio: ["ignore", logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    this.child = child;
    let exited: string | undefined;
    child.once("exit", (code, signal) => {
      exited = signal ?? String(code);
      if (this.child === child) this.child = undefined;
    });
    child.once("error", (err) => (exited = err.message));
    const timeoutMs = this.options.readyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new Error(`cnmd ${this.prefix} exited (${exited}) before answering:\n${this.logSince(logStart).slice(-4000)}`);
      if (this.logSince(logStart).includes("cnmd listening on") && (await ping(this.options.socket))) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`cnmd ${this.prefix} did not answer on ${this.options.socket} within ${timeoutMs} ms:\n${this.logSince(logStart).slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, as an operator stops it (networks and sandboxes stay up); SIGKILL if it lingers. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM", STOP_GRACE_MS);
  }

  /** kill -9: a crash, nothing cleaned. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** `cnmd --purge` on the same data root and prefix (in the same namespace): every network, sandbox and kernel object it made, and the data root, gone. */
  async purge(): Promise<ExecResult> {
    if (this.child) throw new Error(`cnmd ${this.prefix} is running: stop it before purging`);
    return runCommand(this.argv([...this.baseArgs(), "--purge"]), { timeoutMs: 60_000 });
  }

  /** The whole log file: every start's output, each after a "--- testbed: starting" line. */
  readLog(): string {
    return this.logSince(0);
  }

  /** The last `maxChars` of the log, for failure messages. */
  logTail(maxChars = 4000): string {
    const size = existsSync(this.options.logPath) ? statSync(this.options.logPath).size : 0;
    return this.logSince(Math.max(0, size - maxChars)).slice(-maxChars);
  }

  /** The log from byte `offset` on (only that part is read: a long debug log is polled during each start). */
  private logSince(offset: number): string {
    let fd: number;
    try {
      fd = openSync(this.options.logPath, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return ""; // not written yet
      throw err;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= offset) return "";
      const buffer = Buffer.alloc(size - offset);
      const read = readSync(fd, buffer, 0, buffer.length, offset);
      return buffer.subarray(0, read).toString("utf8");
    } finally {
      closeSync(fd);
    }
  }

  private async signal(sig: NodeJS.Signals, escalateAfterMs?: number): Promise<void> {
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    child.kill(sig);
    if (escalateAfterMs !== undefined) {
      const timer = setTimeout(() => child.kill("SIGKILL"), escalateAfterMs);
      await gone;
      clearTimeout(timer);
    } else {
      await gone;
    }
    if (this.child === child) this.child = undefined;
  }
}

/** True when GET /_ping on the unix socket answers 200. */
export function ping(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode === 200));
      res.on("error", () => resolve(false));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
