// The --format flag every listing and inspect command takes, and the JSON
// printing that goes with it.

import { UsageError } from "../cmdline/index.js";
import { type FlagSpec, type ParsedArgs, stringFlag } from "./args.js";
import type { Output } from "./command.js";
import { formatTable } from "./table.js";

export type OutputFormat = "table" | "json";

export const FORMAT_FLAG: FlagSpec = {
  name: "format",
  type: "string",
  valueName: "string",
  description: 'Output format: "table" (aligned, the default) or "json"',
};

export function readFormat(args: ParsedArgs): OutputFormat {
  const f = stringFlag(args, "format") ?? "table";
  if (f !== "table" && f !== "json") throw new UsageError(`unknown --format "${f}": use "table" or "json"`);
  return f;
}

/** A listing as JSON: one object a line, as `docker ... ls --format json` prints. */
export function printJsonLines(io: Output, items: readonly unknown[]): void {
  for (const item of items) io.out(JSON.stringify(item));
}

/** A listing in the chosen format: JSON lines, or an aligned table of `row(item)` under `header`. */
export function printListing<T>(io: Output, format: OutputFormat, items: readonly T[], header: readonly string[], row: (item: T) => string[]): void {
  if (format === "json") printJsonLines(io, items);
  else io.out(formatTable(header, items.map(row)).join("\n"));
}

/** Inspect output as JSON: one indented array, as `docker inspect` prints. */
export function printJsonArray(io: Output, items: readonly unknown[]): void {
  io.out(JSON.stringify(items, null, 4));
}

/** "k=v, k2=v2" for maps shown in readable output. */
export function joinMap(map: Readonly<Record<string, string>> | null | undefined): string {
  return Object.entries(map ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}
