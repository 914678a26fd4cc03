// What a command is, and the context every command runs with. Commands get
// their output streams and API client from the context so the same code runs
// under `bin/cnm` and in tests without touching process globals.

import { UsageError } from "../cmdline/index.js";
import { type FlagSpec, HELP_FLAG, type ParsedArgs, type ParseOptions } from "./args.js";
import type { ApiClient } from "./client.js";

/** Where a command writes. */
export interface Output {
  /** One line (or several joined by \n) to stdout. */
  out(text: string): void;
  /** One line to stderr. */
  err(text: string): void;
}

export interface CommandContext {
  readonly io: Output;
  /** The API client, created on first use (so --help and usage errors need no daemon). */
  client(): ApiClient;
  readonly env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on the terminal (stdin); false on EOF or anything but y/yes. */
  confirm(question: string): Promise<boolean>;
}

export interface Command {
  /** Words after `cnm`, e.g. ["network", "create"]. */
  readonly path: readonly string[];
  /** Arguments after the flags, as shown in usage: "[OPTIONS] NETWORK". */
  readonly usage: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  /** Positional count bounds (checked before run). */
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Short other names of the last path word (e.g. "list" for "ls"). */
  readonly aliases?: readonly string[];
  readonly parseOptions?: ParseOptions;
  /** Runs the command; resolves with the process exit code. */
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>;
}

/** "Usage:  cnm network create [OPTIONS] NETWORK" */
export function usageLine(cmd: Command): string {
  return `Usage:  cnm ${cmd.path.join(" ")} ${cmd.usage}`.trimEnd();
}

/** Full --help text: usage, summary, aliases, and the flags table. */
export function helpText(cmd: Command): string {
  const lines = [usageLine(cmd), "", cmd.summary];
  if (cmd.aliases?.length) {
    const parent = cmd.path.slice(0, -1).join(" ");
    lines.push("", "Aliases:", `  ${[cmd.path.join(" "), ...cmd.aliases.map((a) => `${parent} ${a}`)].join(", ")}`);
  }
  const flags = [...cmd.flags, HELP_FLAG];
  const labels = flags.map((f) => {
    const short = f.short ? `-${f.short}, ` : "    ";
    const value = f.type === "string" ? ` ${f.valueName ?? "string"}` : "";
    return `  ${short}--${f.name}${value}`;
  });
  const width = Math.max(...labels.map((l) => l.length)) + 3;
  lines.push("", "Options:");
  flags.forEach((f, i) => {
    const repeat = f.multiple ? " (repeatable)" : "";
    lines.push(`${labels[i]!.padEnd(width)}${f.description}${repeat}`);
  });
  return lines.join("\n");
}

/** Checks the positional count against the command's bounds. */
export function checkArity(cmd: Command, args: ParsedArgs): void {
  const n = args.positionals.length;
  if (n < cmd.minArgs || n > cmd.maxArgs) {
    const name = `cnm ${cmd.path.join(" ")}`;
    if (cmd.maxArgs === 0) throw new UsageError(`"${name}" accepts no arguments`);
    const want =
      cmd.minArgs === cmd.maxArgs
        ? `exactly ${cmd.minArgs} argument${cmd.minArgs === 1 ? "" : "s"}`
        : cmd.maxArgs === Infinity
          ? `at least ${cmd.minArgs} argument${cmd.minArgs === 1 ? "" : "s"}`
          : cmd.minArgs === 0
            ? `at most ${cmd.maxArgs} argument${cmd.maxArgs === 1 ? "" : "s"}`
            : `between ${cmd.minArgs} and ${cmd.maxArgs} arguments`;
    throw new UsageError(`"${name}" requires ${want}, got ${n}`);
  }
}
