// Runs the nft command. Everything cnm asks of nftables goes through here as
// ONE JSON document (`nft -j -f <file>`): libnftables applies a document as a
// single kernel transaction, so a batch either happens entirely or not at
// all, and JSON values never get re-parsed as nft syntax (no quoting, no
// injection through an interface name).
//
// The document goes through a private temporary file, not stdin: nft reads
// "-f -" by opening /dev/stdin, which fails (ENXIO) on the socketpair Node
// uses for a child's stdin.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NftCommand } from "./nft-json.js";

/** Where and how nft is run. */
export interface NftRunnerOptions {
  /** The nft binary. Default "nft" (looked up in PATH). */
  nftPath?: string;
  /**
   * Name of a network namespace (as listed by `ip netns list`) to run nft in,
   * through `ip netns exec`. Default: the caller's own namespace. Tests use it
   * to stand up a throw-away "host"; a daemon normally leaves it unset.
   */
  netns?: string;
}

/** An nft invocation that failed: what cnm was doing and what nft said. */
export class NftError extends Error {
  constructor(
    /** What the batch was for, e.g. "add network n1". */
    readonly action: string,
    /** nft's stderr, trimmed. */
    readonly stderr: string,
    /** nft's exit code, or null if it was killed / could not start. */
    readonly exitCode: number | null,
  ) {
    super(`nftables: ${action} failed: ${stderr || `nft exited with code ${String(exitCode)}`}`);
    this.name = "NftError";
  }

  /** True when nft reported that an object (table, set, element) does not exist. */
  get isNotFound(): boolean {
    return /No such file or directory/.test(this.stderr);
  }
}

/** Spawns nft with the given arguments, honouring netns. */
export function spawnNft(opts: NftRunnerOptions, args: string[]): ChildProcess {
  const nft = opts.nftPath ?? "nft";
  const [cmd, argv] = opts.netns ? ["ip", ["netns", "exec", opts.netns, nft, ...args]] : [nft, args];
  return spawn(cmd, argv, { stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * Applies a batch of commands atomically. Resolves with nft's stdout (the
 * listing, for "list" commands). An empty batch spawns nothing.
 */
export async function runNftBatch(opts: NftRunnerOptions, action: string, commands: NftCommand[]): Promise<string> {
  if (commands.length === 0) return "";
  const dir = await mkdtemp(join(tmpdir(), "cnm-nft-"));
  try {
    const file = join(dir, "batch.json");
    await writeFile(file, JSON.stringify({ nftables: commands }), { mode: 0o600 });
    return await runNft(opts, action, ["-j", "-f", file]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs nft with arguments; rejects with NftError (carrying nft's stderr) on failure. */
export function runNft(opts: NftRunnerOptions, action: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnNft(opts, args);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new NftError(action, e.message, null)));
    child.on("close", (code) => {
      const stderr = Buffer.concat(err).toString("utf8").trim();
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new NftError(action, stderr, code));
    });
    child.stdin?.end();
  });
}
