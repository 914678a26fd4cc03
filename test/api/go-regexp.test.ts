import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compileGoRegexp, goFilter, goFilterMatch } from "../../src/api/go-regexp.js";
import { dropRepeatedGroupNames } from "../../src/api/go-group-names.js";

/** Go's regexp.MatchString, for a pattern that must compile. */
function search(pattern: string, text: string): boolean {
  const re = compileGoRegexp(pattern);
  assert.ok(re.ok, `${pattern}: ${re.ok ? "" : re.error}`);
  return re.re.test(text);
}

/** Patterns from a grammar on which RE2 and JavaScript agree, to check the adapter against V8's engine. */
const atom: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("a", "b", "c", ".", "[ab]", "[^a]", "[a-b]", "\\d", "\\w", "x"),
);
const pattern: fc.Arbitrary<string> = fc.letrec((tie) => ({
  piece: fc
    .tuple(
      fc.oneof({ maxDepth: 2, depthIdentifier: "group" }, { weight: 4, arbitrary: atom }, { weight: 1, arbitrary: tie("group") as fc.Arbitrary<string> }),
      fc.constantFrom("", "", "*", "+", "?", "{1,2}", "{2}", "*?"),
    )
    .map(([a, q]) => a + q),
  seq: fc.array(tie("piece") as fc.Arbitrary<string>, { minLength: 0, maxLength: 4 }).map((xs) => xs.join("")),
  alt: fc.array(tie("seq") as fc.Arbitrary<string>, { minLength: 1, maxLength: 3 }).map((xs) => xs.join("|")),
  group: (tie("alt") as fc.Arbitrary<string>).map((a) => `(${a})`),
})).alt.chain((p) => fc.constantFrom(p, `^${p}`, `${p}$`, `^(${p})$`));

/**
 * Go-only syntax: [pattern, text, Go's regexp.MatchString]. Each row was
 * checked against Go's own regexp package (go1.19.8), except `(?<n>…)`,
 * which Go accepts from 1.22 on (Docker is built with a newer Go).
 */
const GO_SYNTAX: readonly (readonly [string, string, boolean])[] = [
  ["(?P<first>net)-(?P<n2>\\d+)", "my-net-12", true],
  ["(?<n>net)", "my-net", true],
  ["\\pL", "123é", true],
  ["\\pL", "123-_", false],
  ["^\\PL+$", "123-_", true],
  ["\\p{Greek}", "net-λ", true],
  ["\\p{Greek}", "net-l", false],
  ["^\\p{Greek}+$", "λόγος", true],
  ["\\p{^Greek}", "λόγος", false],
  ["[\\p{Han}]", "名前", true],
  ["(?i)NET", "my-network", true],
  ["(?i)k", "\u212a", true], // KELVIN SIGN folds to k in Go's Unicode case folding
  ["(?i)ß", "ẞ", true],
  ["(?i:a)B", "AB", true],
  ["(?i:a)B", "ab", false],
  ["\\Qa.b\\E", "xa.by", true],
  ["\\Qa.b\\E", "axb", false],
  ["\\Q(?P<n>\\E", "(?P<n>", true],
  ["a\\Q", "a", true],
  ["(?m)^b$", "a\nb\nc", true],
  ["^b$", "a\nb\nc", false],
  ["(?s)a.b", "a\nb", true],
  ["a.b", "a\nb", false],
  ["(?U)^a+$", "aaa", true],
  ["^.$", "😀", true], // one code point, not two UTF-16 units
  ["^..$", "😀", false],
  ["\\x{1F600}", "x😀", true],
  ["[[:^alpha:]]", "abc", false],
  ["[[:^alpha:]]", "ab1", true],
  ["a{,3}", "a{,3}", true], // not a repetition in Go: literal text
  ["a", "", false],
];

/** Patterns Go's regexp.Compile refuses (checked against Go), so Docker's filter skips them. */
const GO_INVALID = [
  "(", "a)", "[a", "*a", "a**", "x{2}{3}", "\\1", "\\8", "a{1001}", "x{1001,}", "[z-a]", "\\",
  "(?=a)", "(?!a)", "(?<=a)b", "(?P=n)", "(?x) a", "\\Z", "\\C", "\\p{Klingon}", "[[:foo:]]",
  "(?P<a-b>x)", "(?P<>a)", "(((a{1000}){1000}){1000})",
];

describe("Go-syntax regexp for list filters", () => {
  it("agrees with JavaScript's RegExp on a grammar both share", () => {
    fc.assert(
      fc.property(pattern, fc.stringMatching(/^[abcx1_-]{0,12}$/), (p, text) => {
        assert.equal(search(p, text), new RegExp(p).test(text), `pattern ${p} on "${text}"`);
      }),
      { numRuns: 1500, seed: 4242 },
    );
  });

  it("searches anywhere unless anchored, as Go's MatchString", () => {
    assert.equal(search("net", "my-network"), true);
    assert.equal(search("^net", "my-network"), false);
    assert.equal(search("net$", "my-network"), false);
    assert.equal(search("^my-.*k$", "my-network"), true);
    assert.equal(search("(?i)NET", "my-network"), true);
    assert.equal(search("[[:digit:]]{3}", "a123"), true);
    assert.equal(search("\\bnet", "my-network"), true);
    assert.equal(search("\\Bnet", "my-network"), false);
    assert.equal(search("", "anything"), true);
  });

  it("matches Go-only syntax as Go does", () => {
    for (const [p, text, want] of GO_SYNTAX) assert.equal(goFilterMatch(p, text), want, `${p} on ${JSON.stringify(text)}`);
  });

  it("takes linear time on patterns that make backtracking engines explode", () => {
    const text = "a".repeat(5000) + "b";
    assert.equal(search("(a+)+$", text.slice(0, -1) + "!"), false);
    assert.equal(search("(a|aa)*c", text), false);
    assert.equal(search("(a*)*b", text), true);
    assert.equal(search("(x+x+)+y", "x".repeat(3000)), false);
  });

  it("refuses what Go refuses", () => {
    for (const bad of GO_INVALID) assert.equal(compileGoRegexp(bad).ok, false, bad);
    // Go's nesting limit: 999 groups around a literal compile, 1000 do not (checked against Go).
    const nested = (depth: number): string => "(".repeat(depth) + "a" + ")".repeat(depth);
    assert.equal(compileGoRegexp(nested(999)).ok, true);
    assert.match(String((compileGoRegexp(nested(1000)) as { error?: string }).error), /nests too deeply/);
  });

  it("accepts what Go accepts and the former hand-written engine refused", () => {
    // It capped patterns at 1024 code points; Go has no such cap.
    assert.equal(search("a".repeat(2000), "a".repeat(2001)), true);
    assert.equal(search("(?m)a", "a"), true);
    assert.equal(search("(?P<n>a)", "a"), true);
  });

  it("accepts a group name used twice, as Go does and RE2 does not", () => {
    assert.equal(goFilterMatch("(?P<n>a)|(?P<n>b)", "b"), true);
    assert.equal(goFilterMatch("(?P<n>a)(?P<n>b)", "xaby"), true);
    assert.equal(goFilterMatch("(?P<n>a)(?P<n>b)", "ba"), false);
    // Escapes, \Q…\E and classes are text, not groups: only real openers lose their name.
    assert.equal(dropRepeatedGroupNames("(?P<n>a)\\Q(?P<n>\\E(?P<n>b)"), "(?P<n>a)\\Q(?P<n>\\E(b)");
    assert.equal(dropRepeatedGroupNames("(?P<n>a)[]?P<n>(](?<n>b)"), "(?P<n>a)[]?P<n>(](b)");
    assert.equal(dropRepeatedGroupNames("(?P<n>a)[[:alpha:](?P<n>](?P<n>b)"), "(?P<n>a)[[:alpha:](?P<n>](b)");
    assert.equal(dropRepeatedGroupNames("(?P<n>a)\\((?P<n>b)"), "(?P<n>a)\\((b)");
    assert.equal(goFilterMatch("(?P<n>a)[(?P<n>]+(?P<n>b)", "a?<b"), true);
    // Another error in the same pattern is still an error.
    assert.equal(compileGoRegexp("(?P<n>a)(?P<n>b)(?P<a-b>c)").ok, false);
  });

  it("as a filter, an invalid pattern matches only the same text (Docker ignores the regex error)", () => {
    assert.equal(goFilterMatch("a(b", "a(b"), true);
    assert.equal(goFilterMatch("a(b", "xa(bx"), false);
    assert.equal(goFilterMatch("a.c", "abc"), true);
    assert.equal(goFilterMatch("{", "x{y"), true);
    const any = goFilter(["a(b", "^net", "\\p{Greek}"]);
    assert.deepEqual(["a(b", "network", "λ", "bridge"].map(any), [true, true, true, false]);
  });

  it("answers a 10 kB pathological pattern on a 64k-character name within 50 ms", () => {
    // Not a speed target: the bound is there because a backtracking engine
    // never finishes on this (2,000 nested stars), while RE2's guarantee is
    // compile time linear in the pattern and one pass over the text.
    // Best of 3 runs, so a run slowed by a busy machine does not fail it,
    // after four untimed runs: V8 optimizes re2js's parser and DFA code over a
    // process's first few big patterns, a one-off that a long-running daemon has
    // behind it (cold runs take several hundred ms).
    // (cnm's names are at most 128 characters; the 64k name is only there
    // to make a scan that is not linear obvious.)
    const pathological = "(a*)*".repeat(2_000) + "\\d";
    assert.ok(pathological.length > 10_000, String(pathological.length));
    const name = "a".repeat(65_536) + "b";
    for (let warm = 0; warm < 4; warm++) goFilterMatch(pathological, name);
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      assert.equal(goFilterMatch(pathological, name), false);
      best = Math.min(best, performance.now() - start);
    }
    console.log(`10 kB pattern on a 64k name: best of 3 ${best.toFixed(1)} ms`);
    assert.ok(best < 50, `best of 3 took ${best.toFixed(1)} ms`);
  });
});
