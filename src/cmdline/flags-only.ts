import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./usage-error.js";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** The typed values node:util gives for `options` (each flag's string, boolean or array, or undefined). */
type FlagValues<T extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>>["values"];

/**
 * The flags of a program that takes no arguments (cnmd, networkdb-node),
 * parsed strictly by node:util: an unknown flag, a missing value or a stray
 * argument is a UsageError carrying node's message. Anything else parseArgs
 * throws is a bug in the options table, not in the command line, and is
 * thrown as it is.
 */
export function parseFlagsOnly<const T extends OptionsConfig>(argv: readonly string[], options: T): FlagValues<T> {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    if (isParseArgsError(err)) throw new UsageError(err.message);
    throw err;
  }
}

/** parseArgs's own refusals of a command line carry codes ERR_PARSE_ARGS_*. */
function isParseArgsError(err: unknown): err is Error {
  return err instanceof Error && String((err as NodeJS.ErrnoException).code ?? "").startsWith("ERR_PARSE_ARGS_");
}
