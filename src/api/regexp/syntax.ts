/**
 * The syntax tree of a Go (RE2) regular expression and its parser, for the
 * subset cnm's filters accept (see ../go-regexp.ts).
 */

export type CharTest = (cp: number) => boolean;
export type Assertion = "begin" | "end" | "wordBoundary" | "notWordBoundary";

export type Node =
  | { readonly kind: "char"; readonly test: CharTest }
  | { readonly kind: "assert"; readonly what: Assertion }
  | { readonly kind: "concat"; readonly items: readonly Node[] }
  | { readonly kind: "alternate"; readonly items: readonly Node[] }
  | { readonly kind: "repeat"; readonly node: Node; readonly min: number; readonly max: number };

export class RegexpSyntaxError extends Error {}

const MAX_REPEAT = 1000;
const MAX_DEPTH = 100;

interface Flags {
  readonly caseInsensitive: boolean;
  readonly dotAll: boolean;
}

export const isWordChar: CharTest = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit: CharTest = (c) => c >= 48 && c <= 57;
const isSpace: CharTest = (c) => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

const POSIX: Record<string, CharTest> = {
  alnum: (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  ascii: (c) => c <= 0x7f,
  blank: (c) => c === 32 || c === 9,
  cntrl: (c) => c < 32 || c === 127,
  digit: isDigit,
  graph: (c) => c >= 33 && c <= 126,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c <= 126,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  space: (c) => isSpace(c) || c === 11,
  upper: (c) => c >= 65 && c <= 90,
  word: isWordChar,
  xdigit: (c) => isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

function foldCase(test: CharTest): CharTest {
  return (c) => {
    if (test(c)) return true;
    const s = String.fromCodePoint(c);
    const lower = s.toLowerCase();
    const upper = s.toUpperCase();
    return (lower.length === s.length && test(lower.codePointAt(0)!)) || (upper.length === s.length && test(upper.codePointAt(0)!));
  };
}

export class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly cps: readonly number[]) {}

  parse(): Node {
    const node = this.alternation({ caseInsensitive: false, dotAll: false });
    if (this.pos < this.cps.length) throw new RegexpSyntaxError("unexpected )");
    return node;
  }

  private peek(offset = 0): number | undefined {
    return this.cps[this.pos + offset];
  }

  private alternation(flags: Flags): Node {
    if (++this.depth > MAX_DEPTH) throw new RegexpSyntaxError("expression nests too deeply");
    const branches: Node[] = [];
    let current = flags;
    for (;;) {
      const { node, flags: after } = this.concatenation(current);
      branches.push(node);
      current = after;
      if (this.peek() !== 0x7c /* | */) break;
      this.pos++;
    }
    this.depth--;
    return branches.length === 1 ? branches[0]! : { kind: "alternate", items: branches };
  }

  /** Items up to `|`, `)` or the end; `(?i)` changes the flags for the rest of the group. */
  private concatenation(flags: Flags): { node: Node; flags: Flags } {
    const items: Node[] = [];
    let f = flags;
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === 0x7c || c === 0x29 /* ) */) break;
      if (c === 0x28 && this.peek(1) === 0x3f /* (? */) {
        const parsed = this.flagGroup(f);
        if ("flags" in parsed) {
          f = parsed.flags;
          continue;
        }
        items.push(this.quantified(parsed.node));
        continue;
      }
      items.push(this.quantified(this.atom(f)));
    }
    return { node: items.length === 1 ? items[0]! : { kind: "concat", items }, flags: f };
  }

  /** `(?flags)` or `(?flags:re)`, including `(?:re)`. */
  private flagGroup(flags: Flags): { flags: Flags } | { node: Node } {
    this.pos += 2;
    let ci = flags.caseInsensitive;
    let dotAll = flags.dotAll;
    let negate = false;
    for (;;) {
      const c = this.peek();
      this.pos++;
      if (c === 0x69 /* i */) ci = !negate;
      else if (c === 0x73 /* s */) dotAll = !negate;
      else if (c === 0x2d /* - */ && !negate) negate = true;
      else if (c === 0x29 /* ) */) return { flags: { caseInsensitive: ci, dotAll } };
      else if (c === 0x3a /* : */) {
        const node = this.alternation({ caseInsensitive: ci, dotAll });
        if (this.peek() !== 0x29) throw new RegexpSyntaxError("missing closing )");
        this.pos++;
        return { node };
      } else throw new RegexpSyntaxError("unsupported group flags");
    }
  }

  private atom(flags: Flags): Node {
    const c = this.peek()!;
    this.pos++;
    switch (c) {
      case 0x28 /* ( */: {
        const node = this.alternation(flags);
        if (this.peek() !== 0x29) throw new RegexpSyntaxError("missing closing )");
        this.pos++;
        return node;
      }
      case 0x5b /* [ */:
        return this.charNode(this.charClass(), flags);
      case 0x2e /* . */:
        return { kind: "char", test: flags.dotAll ? () => true : (x) => x !== 10 };
      case 0x5e /* ^ */:
        return { kind: "assert", what: "begin" };
      case 0x24 /* $ */:
        return { kind: "assert", what: "end" };
      case 0x2a:
      case 0x2b:
      case 0x3f /* * + ? */:
        throw new RegexpSyntaxError("missing argument to repetition operator");
      case 0x5c /* \ */: {
        const e = this.escape(false);
        return "assert" in e ? { kind: "assert", what: e.assert } : this.charNode(e.test, flags);
      }
      default:
        return this.charNode((x) => x === c, flags);
    }
  }

  private charNode(test: CharTest, flags: Flags): Node {
    return { kind: "char", test: flags.caseInsensitive ? foldCase(test) : test };
  }

  private escape(inClass: boolean): { test: CharTest; single?: number } | { assert: Assertion } {
    const c = this.peek();
    if (c === undefined) throw new RegexpSyntaxError("trailing backslash");
    this.pos++;
    switch (String.fromCodePoint(c)) {
      case "d":
        return { test: isDigit };
      case "D":
        return { test: (x) => !isDigit(x) };
      case "w":
        return { test: isWordChar };
      case "W":
        return { test: (x) => !isWordChar(x) };
      case "s":
        return { test: isSpace };
      case "S":
        return { test: (x) => !isSpace(x) };
      case "t":
        return single(9);
      case "n":
        return single(10);
      case "r":
        return single(13);
      case "f":
        return single(12);
      case "v":
        return single(11);
      case "a":
        return single(7);
      case "x":
        return single(this.hexEscape());
    }
    if (!inClass) {
      if (c === 0x41 /* A */) return { assert: "begin" };
      if (c === 0x7a /* z */) return { assert: "end" };
      if (c === 0x62 /* b */) return { assert: "wordBoundary" };
      if (c === 0x42 /* B */) return { assert: "notWordBoundary" };
    }
    // Escaped punctuation stands for itself; escaped letters and digits are RE2 errors here.
    if (c < 0x80 && !isWordChar(c)) return single(c);
    throw new RegexpSyntaxError(`invalid escape sequence \\${String.fromCodePoint(c)}`);
  }

  private hexEscape(): number {
    let digits = "";
    if (this.peek() === 0x7b /* { */) {
      this.pos++;
      while (this.peek() !== undefined && this.peek() !== 0x7d) digits += String.fromCodePoint(this.cps[this.pos++]!);
      this.pos++;
      if (!/^[0-9a-fA-F]{1,6}$/.test(digits)) throw new RegexpSyntaxError("invalid \\x{...} escape");
    } else {
      for (let i = 0; i < 2; i++) digits += String.fromCodePoint(this.cps[this.pos++] ?? 0x20);
      if (!/^[0-9a-fA-F]{2}$/.test(digits)) throw new RegexpSyntaxError("invalid \\x escape");
    }
    const v = parseInt(digits, 16);
    if (v > 0x10ffff) throw new RegexpSyntaxError("invalid \\x escape");
    return v;
  }

  /** After `[`: items up to the closing `]`; a `]` first is literal. */
  private charClass(): CharTest {
    let negated = false;
    if (this.peek() === 0x5e) {
      negated = true;
      this.pos++;
    }
    const tests: CharTest[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new RegexpSyntaxError("missing closing ]");
      if (c === 0x5d && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === 0x5b && this.peek(1) === 0x3a /* [: */) {
        const end = this.cps.indexOf(0x5d, this.pos);
        const name = String.fromCodePoint(...this.cps.slice(this.pos + 2, Math.max(this.pos + 2, end - 1)));
        const neg = name.startsWith("^");
        const t = POSIX[neg ? name.slice(1) : name];
        if (!t || end < 0 || this.cps[end - 1] !== 0x3a) throw new RegexpSyntaxError("invalid character class range");
        tests.push(neg ? (x) => !t(x) : t);
        this.pos = end + 1;
        continue;
      }
      const lo = this.classChar();
      if (this.peek() === 0x2d /* - */ && this.peek(1) !== undefined && this.peek(1) !== 0x5d && lo.single !== undefined) {
        this.pos++;
        const hi = this.classChar();
        if (hi.single === undefined || hi.single < lo.single) throw new RegexpSyntaxError("invalid character class range");
        const a = lo.single;
        const b = hi.single;
        tests.push((x) => x >= a && x <= b);
      } else {
        tests.push(lo.test);
      }
    }
    const any: CharTest = (x) => tests.some((t) => t(x));
    return negated ? (x) => !any(x) : any;
  }

  private classChar(): { test: CharTest; single?: number } {
    const c = this.peek()!;
    this.pos++;
    if (c === 0x5c) {
      const e = this.escape(true);
      if ("assert" in e) throw new RegexpSyntaxError("invalid escape in class");
      return e;
    }
    return single(c);
  }

  private quantified(node: Node): Node {
    let n = node;
    let repeated = false;
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === 0x2a) [min, max] = [0, Infinity];
      else if (c === 0x2b) [min, max] = [1, Infinity];
      else if (c === 0x3f) [min, max] = [0, 1];
      else if (c === 0x7b) {
        const bounds = this.braces();
        if (!bounds) return n; // a "{" that is not a repeat is a literal, as in RE2
        [min, max] = bounds;
        this.pos--; // braces() consumed through "}"; the shared step below consumes one more
      } else return n;
      this.pos++;
      if (this.peek() === 0x3f) this.pos++; // lazy: the same language for a yes/no match
      if (repeated) throw new RegexpSyntaxError("invalid nested repetition operator");
      repeated = true;
      n = { kind: "repeat", node: n, min, max };
    }
  }

  /** `{n}`, `{n,}` or `{n,m}` at the cursor; consumes it and returns the bounds, or nothing if it is not one. */
  private braces(): [number, number] | undefined {
    let i = this.pos + 1;
    let text = "";
    while (i < this.cps.length && this.cps[i] !== 0x7d && text.length < 16) text += String.fromCodePoint(this.cps[i++]!);
    const m = /^([0-9]+)(,([0-9]*))?$/.exec(text);
    if (!m || this.cps[i] !== 0x7d) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && (max > MAX_REPEAT || max < min))) throw new RegexpSyntaxError("invalid repeat count");
    this.pos = i + 1;
    return [min, max];
  }
}

function single(cp: number): { test: CharTest; single: number } {
  return { test: (x) => x === cp, single: cp };
}

