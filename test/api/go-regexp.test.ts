import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { GoRegexp, RegexpSyntaxError, goFilterMatch } from "../../src/api/go-regexp.js";

/** Patterns from a grammar on which RE2 and JavaScript agree, to check the NFA against V8's engine. */
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

describe("Go-syntax regexp for list filters", () => {
  it("agrees with JavaScript's RegExp on a grammar both share", () => {
    fc.assert(
      fc.property(pattern, fc.stringMatching(/^[abcx1_-]{0,12}$/), (p, text) => {
        assert.equal(GoRegexp.compile(p).test(text), new RegExp(p).test(text), `pattern ${p} on "${text}"`);
      }),
      { numRuns: 1500, seed: 4242 },
    );
  });

  it("searches anywhere unless anchored, as Go's MatchString", () => {
    assert.equal(GoRegexp.compile("net").test("my-network"), true);
    assert.equal(GoRegexp.compile("^net").test("my-network"), false);
    assert.equal(GoRegexp.compile("net$").test("my-network"), false);
    assert.equal(GoRegexp.compile("^my-.*k$").test("my-network"), true);
    assert.equal(GoRegexp.compile("(?i)NET").test("my-network"), true);
    assert.equal(GoRegexp.compile("[[:digit:]]{3}").test("a123"), true);
    assert.equal(GoRegexp.compile("\\bnet").test("my-network"), true);
    assert.equal(GoRegexp.compile("\\Bnet").test("my-network"), false);
    assert.equal(GoRegexp.compile("").test("anything"), true);
  });

  it("takes linear time on patterns that make backtracking engines explode", () => {
    const text = "a".repeat(5000) + "b";
    assert.equal(GoRegexp.compile("(a+)+$").test(text.slice(0, -1) + "!"), false);
    assert.equal(GoRegexp.compile("(a|aa)*c").test(text), false);
    assert.equal(GoRegexp.compile("(a*)*b").test(text), true);
    assert.equal(GoRegexp.compile("(x+x+)+y").test("x".repeat(3000)), false);
  });

  it("refuses what RE2 refuses or this engine does not support", () => {
    for (const bad of ["(", "a)", "[a", "*a", "a**", "\\1", "(?P<n>a)", "a{1001}", "[z-a]", "\\", "(?m)a"]) {
      assert.throws(() => GoRegexp.compile(bad), RegexpSyntaxError, bad);
    }
    assert.throws(() => GoRegexp.compile("a".repeat(2000)), RegexpSyntaxError);
    assert.throws(() => GoRegexp.compile("(((a{1000}){1000}){1000})"), RegexpSyntaxError);
  });

  it("as a filter, an invalid pattern matches only the same text (Docker ignores the regex error)", () => {
    assert.equal(goFilterMatch("a(b", "a(b"), true);
    assert.equal(goFilterMatch("a(b", "xa(bx"), false);
    assert.equal(goFilterMatch("a.c", "abc"), true);
    assert.equal(goFilterMatch("{", "x{y"), true);
  });
});
