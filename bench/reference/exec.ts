// Spawning helpers. The reference tools are separate programs, so spawning them is
// exactly what a container runtime pays; `ms` measures that cost from the spawn call
// to the child's exit.
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface RunResult {
  /** Exit code, or null when the child died of a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time in milliseconds from spawn() until the child exited. */
  ms: number;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a program to completion and collects its output; never throws for a non-zero exit. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let exitedAt = 0;
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    // 'exit' marks the end of the timed span; 'close' (all output read) settles the promise.
    child.on("exit", () => {
      exitedAt = performance.now();
    });
    child.on("close", (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        ms: (exitedAt || performance.now()) - start,
      });
    });
    // A child that exits before reading its stdin would make this write fail with EPIPE;
    // the exit status tells the real story, so the pipe error is ignored.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** Like run(), but throws with the child's output when it does not exit 0. */
export async function runOk(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const detail = [r.stderr.trim(), r.stdout.trim()].filter((s) => s !== "").join("\n");
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code ?? r.signal}: ${detail}`);
  }
  return r;
}

/**
 * The environment for a reference tool: the caller's, with the sbin directories on PATH,
 * because both tools look up `iptables` (and netavark `nft`) through PATH.
 */
export function toolEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const path = process.env["PATH"] ?? "/usr/bin:/bin";
  const need = ["/usr/local/sbin", "/usr/sbin", "/sbin"].filter((d) => !path.split(":").includes(d));
  return { ...process.env, PATH: [path, ...need].join(":"), ...extra };
}
