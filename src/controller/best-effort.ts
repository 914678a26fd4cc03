import { errorText, type Logger } from "../log/index.js";

/**
 * Runs a step whose failure must not hide the error being handled, nor stop
 * the steps after it: undo paths, and clean-up that a restart would finish.
 * A failure is never silent: it is logged, saying what was left undone, at
 * warn (something stays behind until a restart cleans it) unless the caller
 * knows it is routine (debug).
 */
export async function bestEffort(log: Logger, what: string, step: () => unknown, level: "warn" | "debug" = "warn"): Promise<void> {
  try {
    await step();
  } catch (err) {
    log[level](`${what} failed: ${errorText(err)}`);
  }
}
