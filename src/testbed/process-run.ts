/**
 * Running a command to its end and collecting what it printed, without
 * throwing on a non-zero exit: the testbed's callers assert on exit codes
 * (a ping that must fail is as interesting as one that must pass).
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** The exit status; 128 + the signal's number when a signal ended it (as a shell reports it). */
  readonly code: number;
}

export interface RunOptions {
  /** Killed with SIGKILL after this long. Default 30 s. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed (default: closed at once). */
  readonly input?: string;
}

/** Runs argv[0] with the rest as arguments; resolves when it exits, whatever its status. */
export function runCommand(argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.reject(new TypeError("runCommand: empty command"));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? 128 + (signal ? constants.signals[signal] : 0) });
    });
    // EPIPE: a command that exits without reading its input. Anything else is shown with its stderr.
    child.stdin.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") stderr += `\n(writing its input failed: ${err.message})`;
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Like runCommand, but a non-zero exit is an Error carrying the command and its stderr. */
export async function runChecked(argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
  const result = await runCommand(argv, options);
  if (result.code !== 0) {
    throw new Error(`${argv.join(" ")} exited with ${result.code}: ${(result.stderr || result.stdout).trim().slice(-2000)}`);
  }
  return result;
}
