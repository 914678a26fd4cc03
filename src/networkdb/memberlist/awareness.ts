/**
 * Lifeguard's local health awareness: a score that rises when this node
 * misses its own soft real-time deadlines (failed probes without nacks,
 * having to refute a suspicion) and falls with every successful probe. The
 * probe interval is scaled by (score + 1), so a struggling node slows down
 * instead of accusing healthy peers.
 */
export class Awareness {
  private score = 0;

  /** `max` is awarenessMaxMultiplier: the score stays within [0, max - 1]. */
  constructor(private readonly max: number) {}

  /** Add `delta` (may be negative), clamped to [0, max - 1]. */
  applyDelta(delta: number): void {
    this.score = Math.min(Math.max(this.score + delta, 0), this.max - 1);
  }

  /** 0 is healthy; higher is worse. */
  getHealthScore(): number {
    return this.score;
  }

  /** `timeout` stretched by the current health: timeout * (score + 1). */
  scaleTimeout(timeout: number): number {
    return timeout * (this.score + 1);
  }
}
