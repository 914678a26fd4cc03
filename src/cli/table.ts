// Aligned text output, laid out the way docker's tables are: every column as
// wide as its widest cell (at least 10 characters with the gap) and three
// spaces between columns; the last column is not padded.

const MIN_WIDTH = 10;
const GAP = 3;

/** Formats a header row and data rows into aligned lines (no trailing spaces). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, col) =>
    Math.max(MIN_WIDTH, ...all.map((r) => displayWidth(r[col] ?? "") + GAP)),
  );
  return all.map((r) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell + " ".repeat(widths[col]! - displayWidth(cell))))
      .join("")
      .trimEnd(),
  );
}

/** Key/value lines with the values aligned, for readable inspect output. */
export function formatFields(fields: readonly (readonly [string, string])[], indent = ""): string[] {
  const width = Math.max(0, ...fields.map(([k]) => k.length)) + 1;
  return fields.map(([k, v]) => `${indent}${(k + ":").padEnd(width + 1)}${v}`.trimEnd());
}

/** Characters, not UTF-16 units, so names with astral characters still line up. */
function displayWidth(text: string): number {
  return [...text].length;
}

/** Docker's short id: the first 12 hex characters. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}
