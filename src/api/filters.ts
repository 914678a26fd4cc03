import { badRequest, printable } from "./http-errors.js";

/**
 * Docker's `filters` query parameter: JSON mapping each key to its values,
 * either `{"name": {"foo": true}}` (what clients send) or the older
 * `{"name": ["foo"]}`. Keys outside `accepted` are refused, as Docker does.
 */
export type Filters = ReadonlyMap<string, readonly string[]>;

const MAX_VALUES = 256;

export function parseFilters(text: string | undefined, accepted: readonly string[]): Filters {
  const out = new Map<string, string[]>();
  if (text === undefined || text === "") return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badRequest(`invalid filters: not JSON: ${printable(text)}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw badRequest("invalid filters: must be a JSON object");
  for (const [key, spec] of Object.entries(raw)) {
    if (!accepted.includes(key)) throw badRequest(`invalid filter '${printable(key)}'`);
    const values = filterValues(key, spec);
    if (values.length > MAX_VALUES) throw badRequest(`invalid filter '${key}': more than ${MAX_VALUES} values`);
    out.set(key, values);
  }
  return out;
}

function filterValues(key: string, spec: unknown): string[] {
  if (Array.isArray(spec)) {
    if (!spec.every((v) => typeof v === "string")) throw badRequest(`invalid filter '${key}': values must be strings`);
    return [...new Set(spec as string[])];
  }
  if (typeof spec === "object" && spec !== null) {
    const values: string[] = [];
    for (const [value, on] of Object.entries(spec)) {
      if (typeof on !== "boolean") throw badRequest(`invalid filter '${key}': {"value": true} entries must be booleans`);
      if (on) values.push(value);
    }
    return values;
  }
  throw badRequest(`invalid filter '${key}': must be a list of values or an object of value: true`);
}

/** Go's strconv.ParseBool, which Docker uses for boolean query parameters. */
export function parseGoBool(text: string, what: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw badRequest(`invalid value for ${what}: ${printable(text)}`);
}

/** A label filter "key" or "key=value" against a label map (Docker's MatchKVList: every term must hold). */
export function matchesLabels(terms: readonly string[], labels: Readonly<Record<string, string>>): boolean {
  for (const term of terms) {
    const eq = term.indexOf("=");
    const key = eq < 0 ? term : term.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    if (eq >= 0 && labels[key] !== term.slice(eq + 1)) return false;
  }
  return true;
}
