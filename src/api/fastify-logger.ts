import type { FastifyBaseLogger } from "fastify";
import { errorText, type Logger } from "../log/index.js";

/**
 * fastify's logger (pino's calling style: an object of fields, then a
 * message) over cnm's Logger, so that the daemon's API writes the daemon's
 * lines: failed requests, and what a handler's best-effort steps hit.
 * fastify logs every request at info; that goes to debug, a daemon's info
 * being for what changes state.
 */
export function fastifyLogger(log: Logger, bindings: Readonly<Record<string, unknown>> = {}): FastifyBaseLogger {
  const at =
    (emit: (msg: string) => void) =>
    (first: unknown, ...rest: unknown[]): void =>
      emit(line(bindings, first, rest));
  const logger = {
    level: "debug",
    fatal: at((m) => log.error(m)),
    error: at((m) => log.error(m)),
    warn: at((m) => log.warn(m)),
    info: at((m) => log.debug(m)),
    debug: at((m) => log.debug(m)),
    trace: at((m) => log.debug(m)),
    silent: at(() => undefined),
    child: (more: Record<string, unknown>) => fastifyLogger(log, { ...bindings, ...more }),
  };
  return logger as unknown as FastifyBaseLogger;
}

/** "message key=value ... error: text": primitives and `err` only (req and res objects are fastify's, and large). */
function line(bindings: Readonly<Record<string, unknown>>, first: unknown, rest: readonly unknown[]): string {
  const fields: Record<string, unknown> = { ...bindings, ...(typeof first === "object" && first !== null ? first : {}) };
  const msg = typeof first === "string" ? first : typeof rest[0] === "string" ? rest[0] : "";
  const parts = [msg];
  for (const [key, value] of Object.entries(fields)) {
    if (key !== "err" && (typeof value === "string" || typeof value === "number" || typeof value === "boolean")) parts.push(`${key}=${String(value)}`);
  }
  if (fields["err"] !== undefined) parts.push(`error: ${errorText(fields["err"])}`);
  return parts.filter((p) => p !== "").join(" ");
}
