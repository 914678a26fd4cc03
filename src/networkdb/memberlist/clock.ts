/**
 * Time for the protocol: every timer memberlist uses goes through a Clock, so
 * the same code runs on real time (RealClock) or on a virtual clock that a test
 * or a simulator advances by hand (VirtualClock). Times are milliseconds.
 */

/** A scheduled callback that can be cancelled (cancelling twice or after it ran is harmless). */
export interface TimerHandle {
  cancel(): void;
}

/** The only source of time and timers memberlist uses. */
export interface Clock {
  /** Current time in milliseconds (monotonic; the origin is arbitrary). */
  now(): number;
  /** Run `fn` once, `ms` milliseconds from now (0 or negative: as soon as possible, never synchronously). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** Resolves after `ms` milliseconds of `clock` time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** Wall-clock time and Node's timers. */
export class RealClock implements Clock {
  now(): number {
    return performance.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  }
}

interface VirtualTimer {
  due: number;
  /** Insertion order: timers due at the same instant run in the order they were set. */
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` runs every timer that
 * falls due, in (due time, creation order) order, setting `now()` to each
 * timer's due time before running it, and lets pending promise callbacks
 * settle between two timers so that async protocol code (await on a stream
 * read, a probe waiting for its ack) behaves as it would on real time.
 * Given the same inputs and seeded randomness, a run is fully deterministic.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private heap: VirtualTimer[] = [];
  private running = false;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: VirtualTimer = { due: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Number of timers still scheduled (cancelled ones are counted until they would have run). */
  get pendingTimers(): number {
    return this.heap.length;
  }

  /**
   * Move time forward by `ms`, running every timer due up to the new time.
   * Must not be called while another advance is running.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms);
  }

  /** Move time forward to `target` (no-op if it is in the past). */
  async advanceTo(target: number): Promise<void> {
    if (this.running) throw new Error("VirtualClock: advance() is already running");
    this.running = true;
    try {
      await settle();
      for (;;) {
        const next = this.heap[0];
        if (next === undefined || next.due > target) break;
        this.pop();
        if (next.cancelled) continue;
        this.current = Math.max(this.current, next.due);
        next.fn();
        await settle();
      }
      this.current = Math.max(this.current, target);
    } finally {
      this.running = false;
    }
  }

  /**
   * Advance in steps of `stepMs` until `predicate()` holds or `maxMs` have
   * passed; returns the virtual time spent, or -1 if the predicate never held.
   */
  async runUntil(predicate: () => boolean, maxMs: number, stepMs = 100): Promise<number> {
    const start = this.current;
    if (predicate()) return 0;
    while (this.current - start < maxMs) {
      await this.advance(Math.min(stepMs, maxMs - (this.current - start)));
      if (predicate()) return this.current - start;
    }
    return -1;
  }

  // Binary min-heap on (due, seq).
  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(t: VirtualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (last === undefined || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/**
 * Let every pending promise callback run: setImmediate fires only after the
 * microtask queue is empty, including microtasks queued by microtasks.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Run `fn` every `intervalMs`, the first time after `firstDelayMs`. Like Go's
 * time.Ticker under a busy receiver, a tick that comes while the previous
 * (async) run is still going is skipped rather than queued.
 */
export function startTicker(
  clock: Clock,
  intervalMs: number,
  firstDelayMs: number,
  fn: () => void | Promise<void>,
  onError: (err: unknown) => void,
): TimerHandle {
  let stopped = false;
  let busy = false;
  let handle: TimerHandle | undefined;
  const tick = (): void => {
    if (stopped) return;
    handle = clock.setTimeout(tick, intervalMs);
    if (busy) return;
    busy = true;
    let result: void | Promise<void>;
    try {
      result = fn();
    } catch (err) {
      busy = false;
      onError(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => (busy = false),
        (err: unknown) => {
          busy = false;
          onError(err);
        },
      );
    } else {
      busy = false;
    }
  };
  handle = clock.setTimeout(tick, firstDelayMs);
  return {
    cancel: () => {
      stopped = true;
      handle?.cancel();
    },
  };
}

/**
 * Wait for `promise` at most `ms` of `clock` time: its value, or undefined on
 * timeout (the timer is cancelled as soon as the promise settles).
 */
export function withTimeout<T>(clock: Clock, promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = clock.setTimeout(() => resolve(undefined), ms);
    promise.then(
      (v) => {
        timer.cancel();
        resolve(v);
      },
      (err: unknown) => {
        timer.cancel();
        reject(err);
      },
    );
  });
}

/** A promise with its resolve function exposed; resolving twice keeps the first value. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  readonly settled: boolean;
}

export function deferred<T>(): Deferred<T> {
  let settle!: (value: T) => void;
  let settled = false;
  const promise = new Promise<T>((resolve) => (settle = resolve));
  return {
    promise,
    resolve(value: T) {
      if (settled) return;
      settled = true;
      settle(value);
    },
    get settled() {
      return settled;
    },
  };
}
