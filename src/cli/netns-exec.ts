// Running programs inside a sandbox's network namespace. The daemon gives the
// namespace path (the sandbox's Key); nsenter enters only the network
// namespace, so the program keeps the host's filesystem and sees the
// sandbox's interfaces, routes and firewall. `ip netns exec` is the fallback
// for hosts without nsenter (it works for namespaces under /run/netns).

import { type ChildProcess, spawn, type StdioOptions } from "node:child_process";
import { constants } from "node:os";

/** The sandbox's own hosts and resolv.conf, which a command run "inside" it should see. */
export interface SandboxFiles {
  readonly hostsPath: string;
  readonly resolvConfPath: string;
}

/**
 * Puts the sandbox's files over /etc/hosts and /etc/resolv.conf in a private
 * mount namespace of the command alone (as a container sees its own), then
 * execs the command. The binds are best effort: a host whose /etc files
 * cannot be covered still runs the command, with the host's files.
 */
const BIND_FILES_SCRIPT = 'mount --bind "$1" /etc/hosts 2>/dev/null; mount --bind "$2" /etc/resolv.conf 2>/dev/null; shift 2; exec "$@"';

function withFiles(command: readonly string[], files: SandboxFiles | undefined): string[] {
  if (!files) return [...command];
  return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", BIND_FILES_SCRIPT, "cnm-exec", files.hostsPath, files.resolvConfPath, ...command];
}

/** The argv that runs `command` in the namespace at `key` (null: cnm's own), seeing `files` if given. */
export function netnsArgv(key: string | null, command: readonly string[], tool: "nsenter" | "ip" = "nsenter", files?: SandboxFiles): string[] {
  const inner = withFiles(command, files);
  if (key === null) return inner;
  if (tool === "nsenter") return ["nsenter", `--net=${key}`, "--", ...inner];
  const name = key.slice(key.lastIndexOf("/") + 1);
  return ["ip", "netns", "exec", name, ...inner];
}

/**
 * Starts `command` in the namespace; falls back to `ip netns exec` when
 * nsenter is missing. A null key runs it in cnm's own namespace (the host's:
 * the CLI reaches the daemon over a local socket), which is how a host-network
 * sandbox is entered without needing to open another process's namespace.
 */
export function spawnInNetns(key: string | null, command: readonly string[], stdio: StdioOptions, files?: SandboxFiles): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const start = (tool: "nsenter" | "ip") => {
      const [file, ...args] = netnsArgv(key, command, tool, files);
      const child = spawn(file!, args, { stdio });
      child.once("spawn", () => resolve(child));
      child.once("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT" && key !== null && tool === "nsenter" && key.startsWith("/run/netns/")) start("ip");
        else reject(new Error(`cannot run ${file}: ${err.message}`));
      });
    };
    start("nsenter");
  });
}

/** The exit code a shell would give: the child's, or 128 + the signal that killed it. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? constants.signals[signal] : undefined;
  return n === undefined ? 1 : 128 + n;
}

/** Waits for a child to exit; resolves with its shell-style exit code. */
export function waitExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(exitCodeOf(child.exitCode, child.signalCode));
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve(exitCodeOf(code, signal))));
}

/**
 * Runs `command` in the namespace with the terminal handed over (stdio
 * inherited); resolves with its exit code. While it runs, cnm ignores the
 * terminal's Ctrl-C (the child gets it too, and decides) and passes SIGTERM
 * and SIGHUP on to it.
 */
export async function execInteractive(key: string | null, command: readonly string[], files?: SandboxFiles): Promise<number> {
  const child = await spawnInNetns(key, command, "inherit", files);
  const ignore = () => {};
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", ignore);
  process.on("SIGTERM", forward);
  process.on("SIGHUP", forward);
  try {
    return await waitExit(child);
  } finally {
    process.off("SIGINT", ignore);
    process.off("SIGTERM", forward);
    process.off("SIGHUP", forward);
  }
}

/** Output of a command run to completion with its output captured. */
export interface CapturedRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` in the namespace, capturing its output; kills it after timeoutMs or when `signal` aborts. */
export async function execCaptured(
  key: string,
  command: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<CapturedRun> {
  const child = await spawnInNetns(key, command, ["ignore", "pipe", "pipe"]);
  const kill = () => child.kill("SIGKILL");
  signal?.addEventListener("abort", kill, { once: true });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(kill, timeoutMs);
  try {
    const exitCode = await waitExit(child);
    // Let the pipes drain: 'exit' can come before the last 'data'.
    await Promise.all([endOf(child.stdout!), endOf(child.stderr!)]);
    return { exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", kill);
  }
}

function endOf(stream: NodeJS.ReadableStream & { readableEnded?: boolean }): Promise<void> {
  if (stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
  });
}
