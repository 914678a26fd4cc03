/**
 * Lifeguard's dynamic suspicion timeout. A suspect node is declared dead when
 * its timer expires. The timer starts at `max` and shrinks towards `min` as
 * independent peers confirm the suspicion (k confirmations reach `min`), so a
 * node that only one peer suspects (perhaps the peer is the problem) gets
 * longer to refute, while a node everyone agrees on is declared dead quickly.
 */
import type { Clock, TimerHandle } from "./clock.js";

/**
 * The lowest suspicion timeout for a cluster of `n` nodes:
 * suspicionMult * max(1, log10(max(1, n))) * probeInterval, with the scale
 * truncated to 1/1000 as memberlist computes it.
 */
export function suspicionTimeout(suspicionMult: number, n: number, probeInterval: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return (suspicionMult * Math.trunc(nodeScale * 1000) * probeInterval) / 1000;
}

/**
 * Time left before a suspect is declared dead, after `n` of the `k` wanted
 * confirmations and `elapsed` ms since suspicion began (may be negative):
 * max - (log(n+1) / log(k+1)) * (max - min), floored to the millisecond and
 * never below min, minus elapsed.
 */
export function remainingSuspicionTime(n: number, k: number, elapsed: number, min: number, max: number): number {
  const frac = Math.log(n + 1) / Math.log(k + 1);
  const raw = max / 1000 - frac * (max / 1000 - min / 1000);
  const timeout = Math.max(Math.floor(1000 * raw), min);
  return timeout - elapsed;
}

/** The suspicion timer of one suspect node. */
export class Suspicion {
  /** Independent confirmations so far. */
  private n = 0;
  private readonly start: number;
  private timer: TimerHandle | undefined;
  private fired = false;
  private readonly confirmations = new Set<string>();

  /**
   * Start the timer: `max` when `k` >= 1 confirmations are hoped for, else
   * `min`. `from` (who raised the suspicion) never counts as a confirmation,
   * since our own suspicion may be gossiped back to us. `onTimeout` receives
   * the number of confirmations seen.
   */
  constructor(
    from: string,
    private readonly k: number,
    private readonly min: number,
    private readonly max: number,
    private readonly onTimeout: (confirmations: number) => void,
    private readonly clock: Clock,
  ) {
    this.confirmations.add(from);
    this.timer = clock.setTimeout(() => this.fire(), k < 1 ? min : max);
    this.start = clock.now();
  }

  /**
   * A peer (`from`) also suspects the node. Returns true when this is new
   * information worth re-gossiping: false for a duplicate, or once k
   * confirmations have been counted. Shortens the timer accordingly; if the
   * new deadline has already passed, the timeout runs on the next tick.
   */
  confirm(from: string): boolean {
    if (this.n >= this.k) return false;
    if (this.confirmations.has(from)) return false;
    this.confirmations.add(from);
    this.n++;
    const remaining = remainingSuspicionTime(this.n, this.k, this.clock.now() - this.start, this.min, this.max);
    if (!this.fired) {
      this.timer?.cancel();
      this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, remaining));
    }
    return true;
  }

  /** Stop the timer (the node was refuted, declared dead otherwise, or we shut down). */
  cancel(): void {
    this.fired = true;
    this.timer?.cancel();
  }

  /** Confirmations counted so far. */
  get confirmationCount(): number {
    return this.n;
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    this.onTimeout(this.n);
  }
}
