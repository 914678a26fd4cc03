// Commands that take several names (rm, inspect) go on past a name the daemon
// rejects, as docker does: each failure is reported, the exit code is 1 if
// any failed. A dead daemon still stops everything at once.

import { ApiError } from "./client.js";
import type { Output } from "./command.js";

export async function forEachRef<T>(
  io: Output,
  refs: readonly string[],
  work: (ref: string) => Promise<T>,
): Promise<{ results: T[]; exitCode: number }> {
  const results: T[] = [];
  let exitCode = 0;
  for (const ref of refs) {
    try {
      results.push(await work(ref));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      io.err(`cnm: ${err.message}`);
      exitCode = 1;
    }
  }
  return { results, exitCode };
}
