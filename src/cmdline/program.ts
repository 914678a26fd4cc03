import { UsageError } from "./usage-error.js";

/**
 * Reads a flags-only program's command line (cnmd, networkdb-node) and
 * answers it the way both answer: --help prints the usage on stdout and
 * leaves nothing to run (undefined); a UsageError prints "program: message"
 * and the usage on stderr, and the process exits 2.
 */
export function readCommandLine<T>(program: string, usage: string, parse: () => T | "help"): T | undefined {
  let parsed: T | "help";
  try {
    parsed = parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${program}: ${err.message}\n${usage}\n`);
    process.exit(2);
  }
  if (parsed === "help") {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return parsed;
}
