/**
 * Go's regexp accepts one group name used by several groups (its docs:
 * "(?P<bob>a+)(?P<bob>b+) declares two subexpressions named bob"); RE2,
 * and so re2js, refuses it. A name never changes what matches, so
 * the second and later groups of a name become plain capturing groups.
 * The scan skips what Go reads as literal text or a class (escapes,
 * `\Q…\E`, `[…]`), so only real group openers are rewritten; anything
 * else invalid is still refused when the result is compiled.
 */
export function dropRepeatedGroupNames(pattern: string): string {
  const seen = new Set<string>();
  let out = "";
  let i = 0;
  while (i < pattern.length) {
    const opener = namedGroupAt(pattern, i);
    if (opener) {
      out += seen.has(opener.name) ? "(" : pattern.slice(i, opener.end);
      seen.add(opener.name);
      i = opener.end;
      continue;
    }
    const end = pattern[i] === "\\" ? escapeEnd(pattern, i) : pattern[i] === "[" ? classEnd(pattern, i) : i + 1;
    out += pattern.slice(i, end);
    i = end;
  }
  return out;
}

/** `(?P<name>` or Go 1.22's `(?<name>` at i: the name and the index after `>`. */
function namedGroupAt(p: string, i: number): { name: string; end: number } | undefined {
  const start = p.startsWith("(?P<", i) ? i + 4 : p.startsWith("(?<", i) ? i + 3 : -1;
  if (start < 0) return undefined;
  const close = p.indexOf(">", start);
  return close < 0 ? undefined : { name: p.slice(start, close), end: close + 1 };
}

/** After the escape at i; `\Q` quotes up to `\E` or the end, as in Go. */
function escapeEnd(p: string, i: number): number {
  if (p[i + 1] !== "Q") return i + 2;
  const e = p.indexOf("\\E", i + 2);
  return e < 0 ? p.length : e + 2;
}

/** After the class that opens at i: a `]` first (after any `^`) is literal; `[:name:]` and escapes are skipped. */
function classEnd(p: string, i: number): number {
  let j = p[i + 1] === "^" ? i + 2 : i + 1;
  let first = true;
  while (j < p.length) {
    if (p[j] === "]" && !first) return j + 1;
    first = false;
    if (p[j] === "\\") j += 2;
    else if (p.startsWith("[:", j) && p.indexOf(":]", j + 2) >= 0) j = p.indexOf(":]", j + 2) + 2;
    else j++;
  }
  return p.length;
}
