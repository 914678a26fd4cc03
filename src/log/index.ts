/**
 * Logging for every room above the kernel's: one small interface, so a
 * library user can pass their own (pino, console) and the daemon its stderr
 * lines. networkdb/ keeps a logger of its own, as it stands alone.
 */

export type LogLevel = "error" | "warn" | "info" | "debug";

export const LOG_LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** Says nothing: the library's default, so embedding cnm prints nothing unless asked. */
export const quietLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** One line per message on stderr: time, level, text (what journald and `cnmd 2>log` want). */
export function stderrLogger(level: LogLevel): Logger {
  const emit = (at: LogLevel) => (msg: string) => {
    if (RANK[at] <= RANK[level]) process.stderr.write(`${new Date().toISOString()} ${at} ${msg}\n`);
  };
  return { error: emit("error"), warn: emit("warn"), info: emit("info"), debug: emit("debug") };
}

/** The message of whatever was thrown, for a log line. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
