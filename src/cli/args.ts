// cnm's command lines with docker's (pflag's) conventions, on node:util
// parseArgs. parseArgs does the splitting: long flags with a separate or an
// "=" value, short flags with a separate or attached value (-d bridge,
// -dbridge), clusters of short booleans ending in at most one valued flag
// (-qf, -qd bridge), positionals anywhere, and "--".
//
// It runs in non-strict mode and its tokens are checked here (FlagValues),
// because strict mode refuses two things docker accepts: a boolean given a
// value (--internal=false) and a value that starts with a dash
// (--gw-priority -1, which strict mode calls ambiguous). The rest of what
// stays hand-written parseArgs has no option for: -d=bridge means "bridge"
// (pflag's reading; parseArgs keeps the "="), a single-value flag given twice
// is refused rather than silently overwritten, a command may stop reading
// flags at its first positional (`sandbox exec NAME CMD -l`), and the
// messages are docker's ("unknown flag: --x", "flag needs an argument: 'd' in -d").

import { parseArgs as splitArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../cmdline/index.js";

export { UsageError };

/** One flag a command accepts. */
export interface FlagSpec {
  /** Long name without dashes, e.g. "subnet". */
  readonly name: string;
  /** One-letter short form, e.g. "d". */
  readonly short?: string;
  /** A boolean flag takes no value (--internal, or --internal=false). */
  readonly type: "string" | "boolean";
  /** May be given more than once; the values are collected in order. */
  readonly multiple?: boolean;
  /** Placeholder of the value in help, e.g. "CIDR". */
  readonly valueName?: string;
  readonly description: string;
}

/** What a command line parses to. */
export interface ParsedArgs {
  /** Flag values by long name: string, boolean, or string[] for repeatable flags. */
  readonly flags: ReadonlyMap<string, string | boolean | string[]>;
  /** Arguments that are not flags, before any "--". */
  readonly positionals: readonly string[];
  /** Everything after "--", untouched; undefined when there was no "--". */
  readonly rest: readonly string[] | undefined;
}

export interface ParseOptions {
  /**
   * Stop reading flags at the first positional (like `docker exec CONTAINER CMD -l`),
   * so a command's own flags after it are kept as positionals.
   */
  readonly stopAtFirstPositional?: boolean;
}

export const HELP_FLAG: FlagSpec = { name: "help", type: "boolean", description: "Print usage" };

/** One flag as parseArgs's tokens give it. */
interface OptionToken {
  readonly name: string;
  /** "--name" or "-n", as written. */
  readonly rawName: string;
  /** Index in argv of the argument it came from (a cluster's flags share one). */
  readonly index: number;
  readonly value?: string | undefined;
  readonly inlineValue?: boolean | undefined;
}

/** Parses argv against the flags a command accepts (plus --help, unless it has its own). */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], options: ParseOptions = {}): ParsedArgs {
  const all = specs.some((s) => s.name === HELP_FLAG.name) ? specs : [...specs, HELP_FLAG];
  const { tokens } = splitArgs({ args: [...argv], options: nodeOptions(all), strict: false, allowPositionals: true, tokens: true });
  const flags = new FlagValues(all, argv);
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "option-terminator") {
      return { flags: flags.values, positionals, rest: argv.slice(token.index + 1) };
    }
    if (token.kind === "positional") {
      if (options.stopAtFirstPositional) return { flags: flags.values, positionals: argv.slice(token.index), rest: undefined };
      positionals.push(token.value);
      continue;
    }
    flags.add(token);
  }
  return { flags: flags.values, positionals, rest: undefined };
}

/** The specs in parseArgs's shape: types and short letters are all it needs to split. */
function nodeOptions(specs: readonly FlagSpec[]): NonNullable<ParseArgsConfig["options"]> {
  return Object.fromEntries(specs.map((s) => [s.name, s.short ? { type: s.type, short: s.short } : { type: s.type }]));
}

/** The flags of one command line, checked token by token as docker checks them. */
class FlagValues {
  readonly values = new Map<string, string | boolean | string[]>();
  private readonly byLong: ReadonlyMap<string, FlagSpec>;
  private readonly byShort: ReadonlyMap<string, FlagSpec>;

  constructor(
    specs: readonly FlagSpec[],
    private readonly argv: readonly string[],
  ) {
    this.byLong = new Map(specs.map((s) => [s.name, s]));
    this.byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  }

  add(token: OptionToken): void {
    const long = token.rawName.startsWith("--");
    // parseArgs names an unknown short flag by its letter, which could be some long flag's name.
    const spec = long ? this.byLong.get(token.name) : this.byShort.get(token.rawName.slice(1));
    const shownAs = long ? `--${token.name}` : token.rawName;
    if (!spec) {
      throw new UsageError(long ? `unknown flag: ${shownAs}` : `unknown shorthand flag: '${token.rawName.slice(1)}' in ${this.argv[token.index]}`);
    }
    if (spec.type === "boolean") {
      // Only "--flag=value" gives a boolean a value: a separate word is a positional.
      this.set(spec, token.value === undefined ? true : parseBool(token.value, shownAs), shownAs);
      return;
    }
    if (token.value === undefined) {
      throw new UsageError(long ? `flag needs an argument: ${shownAs}` : `flag needs an argument: '${spec.short}' in ${shownAs}`);
    }
    // pflag reads -d=bridge as "bridge"; parseArgs keeps the "=".
    const value = !long && token.inlineValue && token.value.startsWith("=") ? token.value.slice(1) : token.value;
    this.set(spec, value, shownAs);
  }

  private set(spec: FlagSpec, value: string | boolean, shownAs: string): void {
    if (spec.multiple) {
      const list = (this.values.get(spec.name) as string[] | undefined) ?? [];
      list.push(String(value));
      this.values.set(spec.name, list);
      return;
    }
    if (spec.type === "string" && this.values.has(spec.name)) throw new UsageError(`flag ${shownAs} given more than once`);
    this.values.set(spec.name, value);
  }
}

function parseBool(text: string, flag: string): boolean {
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw new UsageError(`invalid argument "${text}" for "${flag}" flag: expected true or false`);
}

/** Typed accessors over ParsedArgs.flags. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags.get(name) === true;
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.flags.get(name);
  return Array.isArray(v) ? v : [];
}
