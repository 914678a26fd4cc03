// The step machinery of `cnm demo`: numbered, timed steps; an interruption
// flag that Ctrl-C sets (the step under way finishes or is cut short by its
// own abort signal, no further step starts); and a cleanup list that runs in
// reverse whatever happened.

import type { Output } from "./command.js";
import { errorText } from "../log/index.js";

export class Interrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
  }
}

export class DemoRunner {
  private n = 0;
  private readonly cleanups: { title: string; work: () => Promise<void> }[] = [];
  private readonly abort = new AbortController();
  private interruptedBy: NodeJS.Signals | undefined;
  private readonly t0 = performance.now();

  constructor(private readonly io: Output) {}

  /** Aborts with the demo's interruption; long steps (child processes, fetches) listen to it. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  interrupt(signal: NodeJS.Signals): void {
    if (this.interruptedBy) return;
    this.interruptedBy = signal;
    this.io.err(`\ncnm demo: ${signal} received, stopping and cleaning up`);
    this.abort.abort(new Interrupted(signal));
  }

  /** Runs one numbered step; `work` returns the detail line printed after "ok". */
  async step<T>(title: string, work: () => Promise<[T, string]>): Promise<T> {
    if (this.interruptedBy) throw new Interrupted(this.interruptedBy);
    this.n++;
    this.io.out(`[${this.n}] ${title}`);
    const t = performance.now();
    try {
      const [value, detail] = await work();
      this.io.out(`    ok  ${ms(performance.now() - t)}  ${detail}`);
      return value;
    } catch (err) {
      this.io.out(`    FAILED  ${ms(performance.now() - t)}  ${errorText(err)}`);
      throw this.interruptedBy ? new Interrupted(this.interruptedBy) : err;
    }
  }

  /** Registers an undo; cleanups run last-registered first. */
  onCleanup(title: string, work: () => Promise<void>): void {
    this.cleanups.push({ title, work });
  }

  /** Runs every cleanup (each failure is reported, none stops the others); true if all succeeded. */
  async cleanup(): Promise<boolean> {
    if (this.cleanups.length === 0) return true;
    this.n++;
    this.io.out(`[${this.n}] clean up`);
    let allOk = true;
    for (const { title, work } of this.cleanups.reverse()) {
      const t = performance.now();
      try {
        await work();
        this.io.out(`    ok  ${ms(performance.now() - t)}  ${title}`);
      } catch (err) {
        allOk = false;
        this.io.out(`    FAILED  ${ms(performance.now() - t)}  ${title}: ${errorText(err)}`);
      }
    }
    this.cleanups.length = 0;
    return allOk;
  }

  elapsed(): string {
    return ms(performance.now() - this.t0);
  }
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

