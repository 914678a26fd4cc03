// The entry of `cnm`: global flags, dispatch to a command, and the mapping of
// failures to docker's conventions (one line on stderr; exit 1 for what the
// daemon refused or a daemon that is not there, 2 for a wrong command line).

import { createInterface } from "node:readline";
import { UsageError } from "../cmdline/index.js";
import { boolFlag, type FlagSpec, parseArgs, stringFlag } from "./args.js";
import { ApiClient, ApiError, DaemonUnreachableError } from "./client.js";
import { checkArity, type Command, type CommandContext, helpText, type Output, usageLine } from "./command.js";
import { demoCommand } from "./demo.js";
import { resolveHost } from "./host.js";
import { networkCommands } from "./network-commands.js";
import { sandboxCommands } from "./sandbox-commands.js";
import { clusterCommands } from "./cluster-commands.js";
import { errorText } from "../log/index.js";

export const VERSION = "0.1.0";

export const COMMANDS: readonly Command[] = [...networkCommands, ...sandboxCommands, ...clusterCommands, demoCommand];

const GROUPS: Readonly<Record<string, string>> = {
  network: "Manage networks",
  sandbox: "Manage sandboxes (network namespaces standing for containers)",
  cluster: "Inspect the cluster: its hosts, global networks and gossip tables",
};

/** The flags before the command, as docker's global flags. */
const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: "host", short: "H", type: "string", description: "Daemon socket (default from CNM_HOST, else unix:///run/cnm/cnm.sock)" },
  { name: "version", short: "v", type: "boolean", description: "Print version information and quit" },
  { name: "help", short: "h", type: "boolean", description: "Print usage" },
];

/** What the CLI needs from its surroundings; `main()` fills it from the process. */
export interface CliEnvironment {
  readonly env: NodeJS.ProcessEnv;
  readonly io: Output;
  confirm(question: string): Promise<boolean>;
}

/** Runs one command line (argv without "node" and the script); resolves with the exit code. */
export async function runCli(argv: readonly string[], environment: CliEnvironment): Promise<number> {
  const { io } = environment;
  let command: Command | undefined;
  let client: ApiClient | undefined;
  try {
    // Global flags come before the command, as docker's do: the first word
    // that is not a flag is the command, and what follows is the command's.
    const global = parseArgs(argv, GLOBAL_FLAGS, { stopAtFirstPositional: true });
    if (boolFlag(global, "help")) {
      io.out(topHelp());
      return 0;
    }
    if (boolFlag(global, "version")) {
      io.out(`cnm version ${VERSION}`);
      return 0;
    }
    const hostFlag = stringFlag(global, "host");
    // `cnm -- network ls`: the words after "--" are the command's too.
    const words = [...global.positionals, ...(global.rest ?? [])];
    if (words.length === 0) {
      io.out(topHelp());
      return 0;
    }
    const found = findCommand(words);
    if (found === "group-help") {
      io.out(groupHelp(words[0]!));
      return 0;
    }
    if (!found) {
      const group = GROUPS[words[0]!] ? `${words[0]} ${words[1]}` : words[0]!;
      throw new UsageError(`unknown command "cnm ${group}"; see 'cnm --help'`);
    }
    command = found.command;
    const args = parseArgs(found.rest, command.flags, command.parseOptions);
    if (args.flags.get("help") === true) {
      io.out(helpText(command));
      return 0;
    }
    checkArity(command, args);
    const host = resolveHost(hostFlag, environment.env);
    const ctx: CommandContext = {
      io,
      env: environment.env,
      confirm: (q) => environment.confirm(q),
      client: () => (client ??= new ApiClient(host)),
    };
    return await command.run(ctx, args);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`cnm: ${err.message}`);
      if (command) {
        io.err(usageLine(command));
        io.err(`Run 'cnm ${command.path.join(" ")} --help' for more information`);
      }
      return 2;
    }
    if (err instanceof ApiError || err instanceof DaemonUnreachableError) {
      io.err(`cnm: ${err.message}`);
      return 1;
    }
    io.err(`cnm: ${errorText(err)}`);
    return 1;
  } finally {
    client?.close();
  }
}

/** The command named by the leading words (group + name, or a top-level name), and the words after it. */
function findCommand(words: readonly string[]): { command: Command; rest: string[] } | "group-help" | undefined {
  const [first, second] = words;
  if (first && GROUPS[first]) {
    if (second === undefined || second === "--help" || second === "-h" || second === "help") return "group-help";
    const command = COMMANDS.find((c) => c.path[0] === first && (c.path[1] === second || c.aliases?.includes(second)));
    return command ? { command, rest: words.slice(2) } : undefined;
  }
  const command = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === first);
  return command ? { command, rest: words.slice(1) } : undefined;
}

function topHelp(): string {
  const lines = [
    "Usage:  cnm [OPTIONS] COMMAND",
    "",
    "The Container Network Model's command line: networks and sandboxes, through cnmd's API.",
    "",
    "Commands:",
    ...Object.entries(GROUPS).map(([g, s]) => `  ${g.padEnd(10)}${s}`),
    `  ${"demo".padEnd(10)}${demoCommand.summary}`,
    "",
    "Global Options:",
    "  -H, --host string   Daemon socket (default from CNM_HOST, else unix:///run/cnm/cnm.sock)",
    "  -v, --version       Print version information and quit",
    "  -h, --help          Print usage",
    "",
    "Run 'cnm COMMAND --help' for more information on a command.",
  ];
  return lines.join("\n");
}

function groupHelp(group: string): string {
  const cmds = COMMANDS.filter((c) => c.path[0] === group);
  return [
    `Usage:  cnm ${group} COMMAND`,
    "",
    GROUPS[group]!,
    "",
    "Commands:",
    ...cmds.map((c) => `  ${c.path[1]!.padEnd(12)}${c.summary}`),
    "",
    `Run 'cnm ${group} COMMAND --help' for more information on a command.`,
  ].join("\n");
}

/** The process-bound entry `bin/cnm` calls. */
export async function main(): Promise<void> {
  // A reader that goes away (`cnm network ls | head -1`) is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
  const write = (stream: NodeJS.WriteStream) => (text: string) => {
    stream.write(text.endsWith("\n") ? text : `${text}\n`);
  };
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    io: { out: write(process.stdout), err: write(process.stderr) },
    confirm: (question) => askYesNo(question),
  });
  // exitCode, not exit(): stdout may still be draining into a pipe.
  process.exitCode = code;
}

async function askYesNo(question: string): Promise<boolean> {
  process.stdout.write(question);
  const rl = createInterface({ input: process.stdin });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve);
      rl.once("close", () => resolve(""));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
