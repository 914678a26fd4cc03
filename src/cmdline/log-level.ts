import { LOG_LEVELS, type LogLevel } from "../log/index.js";
import { UsageError } from "./usage-error.js";

/** The value of a --log-level flag (`fallback` when absent); a UsageError for anything else. */
export function parseLogLevel(text: string | undefined, fallback: LogLevel): LogLevel {
  const level = text ?? fallback;
  if (!isLogLevel(level)) throw new UsageError(`--log-level: "${level}" is not one of ${LOG_LEVELS.join(", ")}`);
  return level;
}

function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}
