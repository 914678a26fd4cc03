import { setTimeout as sleep } from "node:timers/promises";
import { ExponentialBackoff, handleWhen, noJitterGenerator, retry } from "cockatiel";
import { UnavailableError } from "../errors.js";

/** The first retry waits this long after the failed deletion; each next one twice as long, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/**
 * Deletions of endpoints (already left) that wait for the cluster store: each
 * is retried in the background while the store is away (UnavailableError),
 * with the same exponential backoff the rest of cnm uses, until it is done,
 * fails otherwise, is settled by whoever finished it first, or close() stops
 * them all. Timers never keep the process alive.
 */
export class PendingDeletions {
  private readonly running = new Map<string, AbortController>();
  private closed = false;
  private readonly policy = retry(handleWhen((err) => err instanceof UnavailableError), {
    maxAttempts: Number.POSITIVE_INFINITY,
    backoff: new ExponentialBackoff({ initialDelay: FIRST_RETRY_MS, maxDelay: MAX_RETRY_MS, generator: noJitterGenerator }),
  }).dangerouslyUnref();

  /**
   * Retries `attempt` for endpoint `eid` (FIRST_RETRY_MS from now, then with
   * backoff). `onGiveUp` hears a failure other than the store being away,
   * which would fail the same way again: a restart's restore cleans it.
   */
  start(eid: string, attempt: () => Promise<void>, onGiveUp: (err: unknown) => void): void {
    if (this.closed || this.running.has(eid)) return;
    const abort = new AbortController();
    this.running.set(eid, abort);
    const run = async (): Promise<void> => {
      await sleep(FIRST_RETRY_MS, undefined, { signal: abort.signal, ref: false });
      await this.policy.execute(attempt, abort.signal);
    };
    run().then(
      () => this.settle(eid),
      (err: unknown) => {
        // Stopped by settle() or close(): whoever stopped it owns the outcome.
        if (abort.signal.aborted) return;
        this.settle(eid);
        onGiveUp(err);
      },
    );
  }

  /** True while the endpoint's deletion is still to be finished. */
  has(eid: string): boolean {
    return this.running.has(eid);
  }

  /** The endpoint is gone, or will not be retried: stop and forget it. */
  settle(eid: string): void {
    const abort = this.running.get(eid);
    this.running.delete(eid);
    abort?.abort();
  }

  close(): void {
    this.closed = true;
    for (const eid of [...this.running.keys()]) this.settle(eid);
  }
}
