// Watches nftables for someone removing cnm's objects (`nft flush ruleset`,
// a firewall reload, `nft delete table ...`) through a long-lived
// `nft -j monitor destroy` child, and calls back, debounced, so the owner can
// check and restore. The child is restarted with backoff if it dies; stop()
// kills it and resolves once it has exited, so tests never leak it.
//
// Only deletions of tables, chains, rules and sets inside our own tables
// count. Element deletions are ignored: cnm deletes elements itself all the
// time, and `nft flush set` produces no event at all (nft 1.0.6), so the
// monitor cannot tell those cases apart anyway.
import type { ChildProcess } from "node:child_process";
import { ExponentialBackoff, noJitterGenerator, type IBackoff } from "cockatiel";
import { createInterface } from "node:readline";
import { spawnNft, type NftRunnerOptions } from "./nft-runner.js";
import { FAMILIES } from "./ruleset.js";

export interface FlushWatcherOptions extends NftRunnerOptions {
  /** Name of the tables to watch (both families). */
  tableName: string;
  /** Called (debounced) after our objects were deleted, and once after each (re)start to catch up. */
  onTampered: (reason: string) => void;
  /** Diagnostics: child restarts and stderr lines. */
  onLog?: (message: string) => void;
  /** Quiet time after the last event before calling back. Default 50 ms: one flush is a burst of events. */
  debounceMs?: number;
  /**
   * Delay after (re)spawning the monitor before a catch-up callback, covering
   * changes made before the monitor subscribed or while it was down. Default 250 ms.
   */
  catchUpMs?: number;
  /** First restart delay; doubles up to maxBackoffMs. Default 100 ms. */
  minBackoffMs?: number;
  /** Default 5000 ms. */
  maxBackoffMs?: number;
}

type MonitorEvent = Record<string, Record<string, { family?: string; table?: string; name?: string }>>;

export class FlushWatcher {
  private child: ChildProcess | undefined;
  private stopped = false;
  /** The restart delays: min, doubling, up to max (no jitter: one local child, no herd to spread). */
  private readonly restartDelays: ExponentialBackoff<number>;
  /** Where in restartDelays the next restart is; undefined: at the start. */
  private backoff: IBackoff<unknown> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private debounceTimer: NodeJS.Timeout | undefined;
  private catchUpTimer: NodeJS.Timeout | undefined;
  private pendingReason = "";
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly opts: FlushWatcherOptions) {
    this.restartDelays = new ExponentialBackoff({
      generator: noJitterGenerator,
      initialDelay: opts.minBackoffMs ?? 100,
      maxDelay: opts.maxBackoffMs ?? 5000,
    });
  }

  /** Pid of the current monitor process (diagnostics, tests), if one is running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the monitor child. */
  start(): void {
    if (this.stopped) throw new Error("FlushWatcher: cannot restart a stopped watcher");
    this.spawn();
  }

  /** Stops watching: kills the child, cancels timers, resolves when the child has exited. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    clearTimeout(this.debounceTimer);
    clearTimeout(this.catchUpTimer);
    this.child?.kill("SIGTERM");
    await this.exited;
  }

  private spawn(): void {
    const child = spawnNft(this.opts, ["-j", "monitor", "destroy"]);
    this.child = child;
    const startedAt = Date.now();
    this.exited = new Promise((resolve) => child.once("close", () => resolve()));
    child.stdin?.end();
    createInterface({ input: child.stdout! }).on("line", (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on("line", (line) => this.opts.onLog?.(`nft monitor: ${line}`));
    child.on("error", (e) => this.opts.onLog?.(`nft monitor could not run: ${e.message}`));
    child.once("close", (code, signal) => {
      if (this.child === child) this.child = undefined;
      clearTimeout(this.catchUpTimer);
      if (this.stopped) return;
      // A monitor that ran for a while was healthy: start backoff afresh.
      if (Date.now() - startedAt > 10_000) this.backoff = undefined;
      this.backoff = this.backoff === undefined ? this.restartDelays.next() : this.backoff.next(undefined);
      const delay = this.backoff.duration;
      this.opts.onLog?.(`nft monitor exited (code ${String(code)}, signal ${String(signal)}); restarting in ${delay} ms`);
      this.restartTimer = setTimeout(() => this.spawn(), delay);
    });
    this.catchUpTimer = setTimeout(() => this.trigger("monitor (re)started"), this.opts.catchUpMs ?? 250);
  }

  private onLine(line: string): void {
    let ev: MonitorEvent;
    try {
      ev = JSON.parse(line) as MonitorEvent;
    } catch {
      // nft prints nothing but JSON in -j mode; a line that is not is shown, and skipped.
      this.opts.onLog?.(`nft monitor: not JSON, skipped: ${line.slice(0, 200)}`);
      return;
    }
    const del = ev["delete"];
    if (!del) return;
    for (const kind of ["table", "chain", "rule", "set", "map"]) {
      const obj = del[kind];
      if (!obj) continue;
      const table = kind === "table" ? obj.name : obj.table;
      if (table === this.opts.tableName && FAMILIES.some((f) => f === obj.family)) {
        this.trigger(`${kind} deleted in ${String(obj.family)} ${table}`);
      }
    }
  }

  private trigger(reason: string): void {
    if (this.stopped) return;
    this.pendingReason ||= reason;
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      const r = this.pendingReason;
      this.pendingReason = "";
      if (!this.stopped) this.opts.onTampered(r);
    }, this.opts.debounceMs ?? 50);
  }
}
