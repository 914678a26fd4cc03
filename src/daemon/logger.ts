import type { LogLevel } from "./config.js";

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
}

/** One line per message on stderr: time, level, text (what journald and `cnmd 2>log` want). */
export function stderrLogger(level: LogLevel): Logger {
  const emit = (at: LogLevel) => (msg: string) => {
    if (RANK[at] <= RANK[level]) process.stderr.write(`${new Date().toISOString()} ${at} ${msg}\n`);
  };
  return { error: emit("error"), warn: emit("warn"), info: emit("info"), debug: emit("debug") };
}
