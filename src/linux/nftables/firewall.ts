// cnm's firewall for bridge networks. It owns two nftables tables named by
// its prefix (`inet <prefix>` and `bridge <prefix>`) and nothing else: it
// never touches other tables or the host's forwarding policy.
//
// It keeps the DECLARED state (networks, port mappings) in memory. Every
// mutation validates its input, computes the element pictures before and
// after, and applies their difference as one atomic `nft -j -f -` batch; the
// rules themselves are fixed (ruleset.ts) and only written by restore(), which
// renders everything from the declared state in one batch too. Operations are
// serialised, so batches apply in call order and the state never races.
import { addAllCommands, diffCommands, elementCounts, renderElements, type ElementPicture } from "./elements.js";
import { FlushWatcher } from "./flush-watcher.js";
import { findDrift } from "./inspect.js";
import {
  checkMappingFits,
  checkNetworkFits,
  cloneState,
  emptyState,
  normalizeMapping,
  normalizeNetwork,
  type DeclaredState,
  type FirewallNetwork,
  type PortMapping,
} from "./model.js";
import { NftError, runNftBatch, type NftRunnerOptions } from "./nft-runner.js";
import { deleteTablesCommands, skeletonCommands } from "./ruleset.js";

/** Something the firewall did on its own, reported for logging and tests. */
export type FirewallEvent =
  | { kind: "restored"; reason: string }
  | { kind: "repair-failed"; reason: string; error: Error }
  | { kind: "log"; message: string };

export interface FirewallOptions extends NftRunnerOptions {
  /**
   * Table name for both tables ("cnm" for a daemon; something unique per
   * test). Letters, digits, "_" and "-", starting with a letter, max 32.
   */
  prefix: string;
  /** Receives restores done by the flush watcher, and watcher diagnostics. */
  onEvent?: (event: FirewallEvent) => void;
  /**
   * Most automatic restores per window before the watcher pauses repairing
   * until the window ends. Default 10 per 10 s: far above any real flush
   * rate, low enough to stop a restore loop should drift detection misfire.
   */
  restoreLimit?: { burst: number; windowMs: number };
}

/** Declared state to start from (e.g. recovered from the store at daemon start). */
export interface FirewallState {
  networks: FirewallNetwork[];
  portMappings: PortMapping[];
}

const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export class Firewall {
  readonly tableName: string;
  private readonly runner: NftRunnerOptions;
  private state: DeclaredState = emptyState();
  /** Elements last applied to the kernel (rendered from `state`). */
  private applied: ElementPicture = new Map();
  private initialized = false;
  /** Mutations before init() only update the declared state (see stageUntilInit). */
  private staging = false;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FlushWatcher | undefined;

  constructor(private readonly opts: FirewallOptions) {
    if (!TABLE_NAME.test(opts.prefix)) throw new Error(`invalid firewall prefix ${JSON.stringify(opts.prefix)}`);
    this.tableName = opts.prefix;
    this.runner = {};
    if (opts.nftPath !== undefined) this.runner.nftPath = opts.nftPath;
    if (opts.netns !== undefined) this.runner.netns = opts.netns;
  }

  /**
   * Creates the tables afresh (replacing any left by an earlier run with the
   * same prefix) holding `initial`, in one batch.
   */
  init(initial?: FirewallState): Promise<void> {
    return this.serial(async () => {
      const next = this.staging ? cloneState(this.state) : emptyState();
      this.staging = false;
      for (const n of initial?.networks ?? []) this.stageNetwork(next, n);
      for (const m of initial?.portMappings ?? []) this.stageMapping(next, m);
      await this.render(next, "init");
      this.initialized = true;
    });
  }

  /**
   * Until init(), mutations only update the declared state; init() then
   * replaces the tables an earlier run left with the complete new ones in one
   * batch. A restarting daemon restores its networks this way, so published
   * ports and NAT never disappear in between.
   */
  stageUntilInit(): void {
    if (!this.initialized) this.staging = true;
  }

  /** Declares a network. Re-adding an identical network is a no-op; a different one with the same id is an error. */
  addNetwork(network: FirewallNetwork): Promise<void> {
    return this.mutate(`add network ${network.id}`, (next) => this.stageNetwork(next, network));
  }

  /** Removes a network and any port mappings still declared on it. Unknown ids are a no-op. */
  removeNetwork(id: string): Promise<void> {
    return this.mutate(`remove network ${id}`, (next) => {
      next.networks.delete(id);
      for (const [key, m] of next.mappings) if (m.networkId === id) next.mappings.delete(key);
    });
  }

  /** Publishes ports, all or none. Re-adding an identical mapping is a no-op. */
  addPortMappings(list: PortMapping[]): Promise<void> {
    return this.mutate(`add ${list.length} port mapping(s)`, (next) => {
      for (const m of list) this.stageMapping(next, m);
    });
  }

  /** Unpublishes ports, matched by (family, proto, hostIP, hostPort). Unknown mappings are a no-op. */
  removePortMappings(list: PortMapping[]): Promise<void> {
    return this.mutate(`remove ${list.length} port mapping(s)`, (next) => {
      for (const m of list) next.mappings.delete(normalizeMapping(m).id);
    });
  }

  /** Rewrites both tables from the declared state in one batch. */
  restore(): Promise<void> {
    return this.serial(async () => {
      await this.render(this.state, "restore");
      this.initialized = true;
    });
  }

  /**
   * Checks the live tables against the declared state and restores them if
   * they drifted. Returns the drift found, or null. The flush watcher calls this.
   */
  repair(): Promise<string | null> {
    return this.repairIf(() => true);
  }

  /** repair(), skipped if `stillWanted` says no by the time its turn comes. */
  private repairIf(stillWanted: () => boolean): Promise<string | null> {
    return this.serial(async () => {
      if (!this.initialized || !stillWanted()) return null;
      const drift = await findDrift(this.runner, this.tableName, elementCounts(this.applied));
      if (drift !== null) await this.render(this.state, `repair (${drift})`);
      return drift;
    });
  }

  /**
   * Starts watching for flushes of our tables; on one, restores within about
   * 100 ms (debounce + a check + one nft batch). Returns a stop function that
   * resolves when the monitor child has exited.
   *
   * Our own restores emit deletions too, which bring the watcher back for a
   * check that finds nothing to do. Should that check ever be wrong, this
   * would restore in a loop; so automatic restores are rate-limited
   * (options.restoreLimit), with one retry when the window ends.
   */
  watchForFlush(): () => Promise<void> {
    if (this.watcher) throw new Error("firewall: already watching for flushes");
    const { burst, windowMs } = this.opts.restoreLimit ?? { burst: 10, windowMs: 10_000 };
    const restoredAt: number[] = [];
    let retry: NodeJS.Timeout | undefined;
    const onTampered = (reason: string): void => {
      const now = Date.now();
      while (restoredAt.length > 0 && now - restoredAt[0]! > windowMs) restoredAt.shift();
      if (restoredAt.length >= burst) {
        if (retry === undefined) {
          const error = new Error(`firewall ${this.tableName}: ${burst} restores in ${windowMs} ms; pausing automatic repair`);
          this.opts.onEvent?.({ kind: "repair-failed", reason, error });
          retry = setTimeout(() => {
            retry = undefined;
            onTampered(`retry after pause (${reason})`);
          }, windowMs - (now - restoredAt[0]!));
        }
        return;
      }
      // A check queued just before stop() must not resurrect tables after it.
      this.repairIf(() => this.watcher === watcher).then(
        (drift) => {
          if (drift === null) return;
          restoredAt.push(Date.now());
          this.opts.onEvent?.({ kind: "restored", reason: `${reason}: ${drift}` });
        },
        (error: unknown) =>
          this.opts.onEvent?.({ kind: "repair-failed", reason, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    };
    const watcher = new FlushWatcher({
      ...this.runner,
      tableName: this.tableName,
      onLog: (message) => this.opts.onEvent?.({ kind: "log", message }),
      onTampered,
    });
    this.watcher = watcher;
    watcher.start();
    return async () => {
      if (this.watcher === watcher) this.watcher = undefined;
      clearTimeout(retry);
      await watcher.stop();
    };
  }

  /** Stops the watcher, deletes both tables and forgets the declared state. */
  removeAll(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = undefined;
    return this.serial(async () => {
      await watcher?.stop();
      await runNftBatch(this.runner, `delete tables ${this.tableName}`, deleteTablesCommands(this.tableName));
      this.state = emptyState();
      this.applied = new Map();
      this.initialized = false;
    });
  }

  /** The declared networks, as given. */
  networks(): FirewallNetwork[] {
    return [...this.state.networks.values()].map((n) => ({ ...n.input, subnets: [...n.input.subnets] }));
  }

  /** The declared port mappings, as given. */
  portMappings(): PortMapping[] {
    return [...this.state.mappings.values()].map((m) => ({ ...m.input }));
  }

  // ---- internals ---------------------------------------------------------

  private stageNetwork(next: DeclaredState, input: FirewallNetwork): void {
    const n = normalizeNetwork(input);
    const existing = next.networks.get(n.id);
    if (existing) {
      if (JSON.stringify(existing.input) === JSON.stringify(n.input)) return;
      throw new Error(`network ${n.id} already exists with a different definition; remove it first`);
    }
    checkNetworkFits(n, next.networks.values());
    next.networks.set(n.id, n);
  }

  private stageMapping(next: DeclaredState, input: PortMapping): void {
    const m = normalizeMapping(input);
    const existing = next.mappings.get(m.id);
    if (existing) {
      const same =
        existing.networkId === m.networkId &&
        existing.containerIP.text === m.containerIP.text &&
        existing.containerPort === m.containerPort;
      if (same) return;
      throw new Error(
        `port ${m.hostPort}/${m.proto} on ${m.hostIP?.text ?? "all addresses"} is already published to ${existing.containerIP.text}:${existing.containerPort}`,
      );
    }
    checkMappingFits(m, next);
    next.mappings.set(m.id, m);
  }

  /**
   * Applies a change: stage it on a copy (validation errors leave everything
   * untouched), send the element diff, commit. If the diff fails (someone
   * changed our tables under us), fall back to a full render of the new
   * state; if that fails too, the old state stays and the error is thrown.
   */
  private mutate(action: string, stage: (next: DeclaredState) => void): Promise<void> {
    return this.serial(async () => {
      if (this.staging) {
        const staged = cloneState(this.state);
        stage(staged);
        this.state = staged;
        return;
      }
      if (!this.initialized) throw new Error(`firewall ${this.tableName}: ${action}: init() has not been called`);
      const next = cloneState(this.state);
      stage(next);
      const pic = renderElements(next);
      try {
        await runNftBatch(this.runner, action, diffCommands(this.tableName, this.applied, pic));
      } catch (e) {
        if (!(e instanceof NftError)) throw e;
        try {
          await this.render(next, `${action} (full render after: ${e.stderr})`);
          this.opts.onEvent?.({ kind: "restored", reason: `${action}: element batch failed: ${e.stderr}` });
          return;
        } catch (renderErr) {
          // The batch's error is the one the caller acts on; the render's is said here, not lost.
          this.opts.onEvent?.({ kind: "log", message: `firewall ${this.tableName}: ${action}: the full render after a failed element batch failed too: ${(renderErr as Error).message}` });
          throw e;
        }
      }
      this.state = next;
      this.applied = pic;
    });
  }

  /** Writes the complete tables for `state` in one batch and commits it. */
  private async render(state: DeclaredState, action: string): Promise<void> {
    const pic = renderElements(state);
    await runNftBatch(this.runner, `${action} of tables ${this.tableName}`, [
      ...skeletonCommands(this.tableName),
      ...addAllCommands(this.tableName, pic),
    ]);
    this.state = state;
    this.applied = pic;
  }

  /** Runs operations one at a time, in call order; a failure does not block later ones. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
