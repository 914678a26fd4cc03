import { badRequest, printable } from "./http-errors.js";

/**
 * Docker's time filter values (`until` in prune): a Go duration counted back
 * from now ("24h", "90m", "1.5h"), an RFC 3339 date or date-time with or
 * without zone (no zone means local time), or Unix seconds with an optional
 * fraction. Returns milliseconds since the epoch.
 */
export function parseTimeFilter(value: string, nowMs: number): number {
  if (value.trim() === "") throw badRequest("failed to parse value as time or duration: value is empty");
  if (value !== "0") {
    const d = parseGoDurationMs(value);
    if (d !== undefined) return nowMs - d;
  }
  const date = parseRfc3339(value);
  if (date !== undefined) return date;
  const unix = /^(-?[0-9]{1,12})(?:\.([0-9]{1,9}))?$/.exec(value);
  if (unix) return Number(unix[1]) * 1000 + (unix[2] ? Number(`0.${unix[2]}`) * 1000 : 0);
  throw badRequest(`failed to parse value as time or duration: "${printable(value)}"`);
}

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration: an optional sign, then one or more number+unit terms. */
export function parseGoDurationMs(text: string): number | undefined {
  const m = /^([+-]?)(.*)$/.exec(text)!;
  const body = m[2]!;
  if (body === "0") return 0;
  const term = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < body.length) {
    term.lastIndex = pos;
    const t = term.exec(body);
    if (!t || t[1] === "" || t[1] === ".") return undefined;
    total += Number(t[1]) * UNIT_MS[t[2]!]!;
    pos = term.lastIndex;
  }
  if (pos === 0) return undefined;
  return m[1] === "-" ? -total : total;
}

const RFC3339 =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2})(?::([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?)?)?(Z|z|[+-][0-9]{2}:[0-9]{2})?$/;

function parseRfc3339(value: string): number | undefined {
  const m = RFC3339.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) {
    throw badRequest(`failed to parse value as time or duration: "${printable(value)}" is out of range`);
  }
  const zone = m[8];
  if (zone === undefined) return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (zone === "Z" || zone === "z") return utc;
  const sign = zone.startsWith("-") ? -1 : 1;
  const offsetMin = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
  return utc - sign * offsetMin * 60_000;
}
