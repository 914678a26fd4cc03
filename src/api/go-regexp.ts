/**
 * Docker matches the `name` and `id` list filters as Go regular
 * expressions (RE2 syntax). JavaScript's backtracking RegExp would let a
 * filter like `(a+)+$` hang the daemon, so patterns are compiled here into a
 * small NFA and run as a Pike VM: time linear in the text for a given
 * pattern, whatever the pattern. Supported: literals and escapes, `.`,
 * classes (ranges, negation, \d \w \s and POSIX [:name:]), groups `(...)`
 * `(?:...)`, flags `(?i)` `(?s)`, alternation, `* + ? {n} {n,} {n,m}`
 * (lazy forms too), anchors `^ $ \A \z`, and `\b \B`. Anything else is
 * invalid, which Docker also treats as "no regex match".
 */

import { Compiler, type Inst } from "./regexp/program.js";
import { Parser, RegexpSyntaxError, isWordChar, type Assertion } from "./regexp/syntax.js";

export { RegexpSyntaxError };

const MAX_PATTERN_LENGTH = 1024;

/** A compiled pattern; `test` searches anywhere in the text, like Go's MatchString. */
export class GoRegexp {
  private constructor(private readonly prog: readonly Inst[]) {}

  static compile(pattern: string): GoRegexp {
    const cps = Array.from(pattern, (ch) => ch.codePointAt(0)!);
    if (cps.length > MAX_PATTERN_LENGTH) throw new RegexpSyntaxError("expression too long");
    const compiler = new Compiler();
    compiler.compile(new Parser(cps).parse());
    compiler.emit({ op: "match" });
    return new GoRegexp(compiler.prog);
  }

  test(text: string): boolean {
    const cps = Array.from(text, (ch) => ch.codePointAt(0)!);
    const n = cps.length;
    const mark = new Int32Array(this.prog.length).fill(-1);
    let generation = 0;
    let current: number[] = [];
    let next: number[] = [];
    const stack: number[] = [];
    // Follows jumps, splits and assertions from pc at position pos, collecting the
    // char and match instructions reached; `mark` keeps each pc once per step, which
    // bounds the work per text position by the program's size.
    const add = (list: number[], start: number, pos: number): void => {
      stack.push(start);
      while (stack.length > 0) {
        const pc = stack.pop()!;
        if (mark[pc] === generation) continue;
        mark[pc] = generation;
        const inst = this.prog[pc]!;
        switch (inst.op) {
          case "jmp":
            stack.push(inst.x);
            break;
          case "split":
            stack.push(inst.y, inst.x);
            break;
          case "assert":
            if (holds(inst.what, cps, pos)) stack.push(pc + 1);
            break;
          default:
            list.push(pc);
        }
      }
    };
    for (let pos = 0; ; pos++) {
      // Unanchored search: a thread may start at every position.
      add(current, 0, pos);
      if (current.some((pc) => this.prog[pc]!.op === "match")) return true;
      if (pos === n) return false;
      generation++;
      next = [];
      for (const pc of current) {
        const inst = this.prog[pc]!;
        if (inst.op === "char" && inst.test(cps[pos]!)) add(next, pc + 1, pos + 1);
      }
      current = next;
    }
  }
}

function holds(what: Assertion, cps: readonly number[], pos: number): boolean {
  switch (what) {
    case "begin":
      return pos === 0;
    case "end":
      return pos === cps.length;
    default: {
      const before = pos > 0 && isWordChar(cps[pos - 1]!);
      const after = pos < cps.length && isWordChar(cps[pos]!);
      return (before !== after) === (what === "wordBoundary");
    }
  }
}

/** Go's filters.Args.Match for one value: equal, or a regex that matches somewhere; an invalid regex only matches equal text. */
export function goFilterMatch(pattern: string, text: string): boolean {
  if (pattern === text) return true;
  try {
    return GoRegexp.compile(pattern).test(text);
  } catch (err) {
    if (err instanceof RegexpSyntaxError) return false;
    throw err;
  }
}
