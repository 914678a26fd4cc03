/**
 * Where memberlist reports what it does. Go's memberlist logs to stderr with
 * [DEBUG]/[INFO]/[WARN]/[ERR] prefixes; here the sink is a small interface so
 * a daemon can route it and tests (thousands of simulated nodes) can drop it.
 */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Drops everything (the default: a library should not write to stderr unasked). */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** Writes to stderr with memberlist's level prefixes; `minLevel` filters out the chattier levels. */
export function consoleLogger(prefix = "memberlist", minLevel: "debug" | "info" | "warn" | "error" = "info"): Logger {
  const order = { debug: 0, info: 1, warn: 2, error: 3 } as const;
  const at = (level: keyof typeof order, tag: string) => (msg: string) => {
    if (order[level] >= order[minLevel]) console.error(`[${tag}] ${prefix}: ${msg}`);
  };
  return { debug: at("debug", "DEBUG"), info: at("info", "INFO"), warn: at("warn", "WARN"), error: at("error", "ERR") };
}
