// A real daemon for CLI tests: a Linux controller with a unique prefix and
// the API server on a temporary unix socket, in this process; and a runner
// for `node bin/cnm ...` as a child process pointed at it through CNM_HOST.
// The CLI runs asynchronously (never spawnSync): the server answering it
// lives on this process's event loop.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { createApiServer } from "../../src/api/index.js";
import { createLinuxController, type Controller } from "../../src/index.js";

/** bin/cnm of this checkout (dist/test/cli/ -> repo root). */
export const CNM_BIN = fileURLToPath(new URL("../../../bin/cnm", import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the CLI's stdin, which is then closed (default: closed at once). */
  readonly input?: string;
  /** CNM_HOST for this run; null leaves it unset. Default: the fixture's socket. */
  readonly host?: string | null;
  readonly timeoutMs?: number;
  /** Called with each chunk of stdout as it arrives (to act mid-run, e.g. send SIGINT). */
  readonly onStdout?: (chunk: string, child: import("node:child_process").ChildProcess) => void;
}

/** Runs bin/cnm with the given arguments; resolves when it exits. */
export function runCnm(args: readonly string[], host: string | null, options: RunOptions = {}): Promise<CliResult> {
  const env = { ...process.env };
  delete env.CNM_HOST;
  const chosen = options.host === undefined ? host : options.host;
  if (chosen !== null) env.CNM_HOST = chosen;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CNM_BIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
      options.onStdout?.(d, child);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

export interface TestDaemon {
  readonly prefix: string;
  readonly socketPath: string;
  /** "unix://<socket>" for CNM_HOST. */
  readonly host: string;
  readonly controller: Controller;
  /** Runs bin/cnm against this daemon. */
  cnm(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /** Removes everything: networks, sandboxes, firewall tables, the socket, the run dir, stray namespaces. */
  stop(): Promise<void>;
}

export async function startTestDaemon(): Promise<TestDaemon> {
  const prefix = `t${randomBytes(2).toString("hex")}`;
  const runDir = `/run/cnm-test/${prefix}`;
  mkdirSync(runDir, { recursive: true });
  const socketPath = `${runDir}/cnm.sock`;
  const controller = await createLinuxController({ prefix, runDir });
  const server = createApiServer(controller, {});
  try {
    await server.listen(socketPath);
  } catch (err) {
    await controller.destroyAll().catch(() => {});
    await controller.close().catch(() => {});
    rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  const host = `unix://${socketPath}`;
  return {
    prefix,
    socketPath,
    host,
    controller,
    cnm: (args, options) => runCnm(args, host, options),
    async stop() {
      try {
        await server.close();
      } finally {
        try {
          await controller.destroyAll();
        } finally {
          await controller.close();
          removeStrayNamespaces(prefix);
          if (existsSync(runDir)) rmSync(runDir, { recursive: true, force: true });
        }
      }
    },
  };
}

/** Namespaces with this prefix that a failed test may have left (normally none). */
export function namespacesWithPrefix(prefix: string): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(`${prefix}-`));
}

function removeStrayNamespaces(prefix: string): void {
  for (const ns of namespacesWithPrefix(prefix)) {
    try {
      execFileSync("ip", ["netns", "delete", ns]);
    } catch {
      // already gone
    }
  }
}

/** Links with this prefix on the host (bridges, veths): none should outlive a test. */
export function linksWithPrefix(prefix: string): string[] {
  return execFileSync("ip", ["-br", "link"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(/[\s@]/)[0]!)
    .filter((n) => n.startsWith(prefix));
}

/**
 * Links with this prefix still present after up to `timeoutMs`: the kernel
 * removes the host ends of veths asynchronously once their namespace is gone,
 * so a check right after teardown must give it a moment.
 */
export async function lingeringLinks(prefix: string, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const links = linksWithPrefix(prefix);
    if (links.length === 0 || Date.now() > deadline) return links;
    await new Promise((r) => setTimeout(r, 100));
  }
}
