// A small argument parser with docker's conventions: long flags (--name value
// or --name=value), short flags (-d value, -dvalue, -qf for booleans),
// repeatable flags, flags anywhere among the positionals, and "--" ending the
// flags (everything after it is kept apart, for `sandbox exec NAME -- CMD`).
// node:util parseArgs was the alternative; it cannot say where "--" was in
// its positionals without the token API, and its messages are not docker's.

import { UsageError } from "../cmdline/index.js";

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

/** The parser's mistakes are cnm's one UsageError: exit code 2 and a usage line. */
export { UsageError };

export interface ParseOptions {
  /**
   * Stop reading flags at the first positional (like `docker exec CONTAINER CMD -l`),
   * so a command's own flags after it are kept as positionals.
   */
  readonly stopAtFirstPositional?: boolean;
}

/** Parses argv against the flags a command accepts (plus --help, always). */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], options: ParseOptions = {}): ParsedArgs {
  const all = [...specs, HELP_FLAG];
  const byLong = new Map(all.map((s) => [s.name, s]));
  const byShort = new Map(all.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  let rest: string[] | undefined;

  const set = (spec: FlagSpec, value: string | boolean, shownAs: string): void => {
    if (spec.multiple) {
      const list = (flags.get(spec.name) as string[] | undefined) ?? [];
      list.push(String(value));
      flags.set(spec.name, list);
    } else {
      if (spec.type === "string" && flags.has(spec.name)) {
        throw new UsageError(`flag ${shownAs} given more than once`);
      }
      flags.set(spec.name, value);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rest = argv.slice(i + 1);
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (spec.type === "boolean") {
        set(spec, eq < 0 ? true : parseBool(arg.slice(eq + 1), `--${name}`), `--${name}`);
      } else if (eq >= 0) {
        set(spec, arg.slice(eq + 1), `--${name}`);
      } else {
        const value = argv[i + 1];
        if (value === undefined) throw new UsageError(`flag needs an argument: --${name}`);
        set(spec, value, `--${name}`);
        i++;
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // A cluster of short flags: booleans may be combined (-qf); a string
      // flag takes the rest of the cluster or the next argument (-dbridge, -d bridge).
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`);
        if (spec.type === "boolean") {
          set(spec, true, `-${letter}`);
          continue;
        }
        let value = arg.slice(j + 1);
        if (value.startsWith("=")) value = value.slice(1);
        if (value === "") {
          const next = argv[i + 1];
          if (next === undefined) throw new UsageError(`flag needs an argument: '${letter}' in -${letter}`);
          value = next;
          i++;
        }
        set(spec, value, `-${letter}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
    if (options.stopAtFirstPositional) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, positionals, rest };
}

function parseBool(text: string, flag: string): boolean {
  if (text === "true" || text === "1") return true;
  if (text === "false" || text === "0") return false;
  throw new UsageError(`invalid argument "${text}" for "${flag}" flag: expected true or false`);
}

export const HELP_FLAG: FlagSpec = { name: "help", type: "boolean", description: "Print usage" };

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
