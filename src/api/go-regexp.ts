/**
 * Docker matches the `name` and `id` list filters with Go's
 * `regexp.MatchString` (filters.Args.Match). Patterns come from API clients,
 * so they are run by re2js, a port of RE2: Go's syntax (Perl flags, Unicode
 * classes, `\Q…\E`, named groups), and time linear in the text whatever the
 * pattern, where JavaScript's backtracking RegExp would let `(a+)+$` hang
 * the daemon.
 *
 * No length cap of our own: Go has none either, only its compile limits
 * (repeat count 1000, nesting depth 1000, "expression too large"), which
 * re2js applies with Go's numbers. A query string is already bounded by
 * Node's HTTP header limit (16 KiB by default). RE2's worst case is the
 * pattern's size times the text's, and names here are at most 128
 * characters, ids 64.
 */

import { RE2JS, RE2JSException } from "re2js";
import { dropRepeatedGroupNames } from "./go-group-names.js";

/** A compiled pattern, or the reason Go's regexp.Compile would refuse it. */
export type GoRegexp = { readonly ok: true; readonly re: RE2JS } | { readonly ok: false; readonly error: string };

export function compileGoRegexp(pattern: string): GoRegexp {
  try {
    return { ok: true, re: RE2JS.compile(pattern) };
  } catch (err) {
    if (!(err instanceof RE2JSException)) throw err;
    // Go accepts a group name used twice ((?P<n>a)|(?P<n>b)); RE2 refuses it.
    // Names change no match, so the later uses become plain groups.
    const deduped = err.message.includes("duplicate capture group name") ? dropRepeatedGroupNames(pattern) : pattern;
    if (deduped !== pattern) return compileGoRegexp(deduped);
    return { ok: false, error: err.message };
  }
}

/** Go's regexp.MatchString: true when the pattern matches anywhere in the text (not anchored). */
function search(re: GoRegexp, text: string): boolean {
  return re.ok && re.re.test(text);
}

/**
 * filters.Args.Match for the values of one key: equal text, or a pattern
 * matching somewhere. An invalid pattern only matches equal text (Docker
 * skips the regexp error). Each pattern is compiled once per call, not once
 * per listed object.
 */
export function goFilter(patterns: readonly string[]): (text: string) => boolean {
  const compiled = patterns.map((p) => ({ p, re: compileGoRegexp(p) }));
  return (text) => compiled.some(({ p, re }) => p === text || search(re, text));
}

/** goFilter for a single pattern. */
export function goFilterMatch(pattern: string, text: string): boolean {
  return goFilter([pattern])(text);
}
