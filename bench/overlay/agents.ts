/** The bench's side of probe-agent: start one in a namespace, arm it, wait for its first reply. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const SCRIPT = fileURLToPath(new URL("./probe-agent.js", import.meta.url));

export class ProbeAgent {
  private readonly waiters = new Map<string, (line: string) => void>();
  /** Lines nobody waited for yet (a reply may come before the connect request returns). */
  private readonly unclaimed = new Map<string, string>();
  private stderr = "";

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly label: string,
  ) {
    child.stderr.on("data", (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const word = line.split(" ")[0]!;
      const key = word === "reached" || word === "armed" ? `${word} ${line.split(" ")[1]}` : word;
      const w = this.waiters.get(key);
      if (w) {
        this.waiters.delete(key);
        w(line);
      } else {
        this.unclaimed.set(key, line);
      }
    });
  }

  /** Starts `probe-agent <args>` inside the network namespace at nsPath; resolves once it listens. */
  static async start(nsPath: string, args: readonly string[], label: string): Promise<ProbeAgent> {
    const child = spawn("nsenter", [`--net=${nsPath}`, process.execPath, SCRIPT, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    const agent = new ProbeAgent(child, label);
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`probe-agent ${label} exited (${code}): ${agent.stderr}`))),
    );
    exited.catch(() => {});
    await Promise.race([agent.expect("ready", 10_000), exited]);
    return agent;
  }

  /** Resolves with the line keyed `key` ("ready", "armed <id>", "reached <id>"), or undefined after timeoutMs. */
  private expect(key: string, timeoutMs: number): Promise<string | undefined> {
    const early = this.unclaimed.get(key);
    if (early !== undefined) {
      this.unclaimed.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.set(key, (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** Starts probing ip:port with `id`; resolves once the agent sends. */
  async arm(id: string, ip: string, port: number): Promise<void> {
    const armed = this.expect(`armed ${id}`, 5000);
    this.child.stdin.write(`arm ${id} ${ip} ${port}\n`);
    if ((await armed) === undefined) throw new Error(`probe-agent ${this.label} did not arm: ${this.stderr}`);
  }

  /** CLOCK_MONOTONIC ns of the first echo of `id`, or undefined if none within timeoutMs (probing then stops). */
  async reached(id: string, timeoutMs: number): Promise<bigint | undefined> {
    const line = await this.expect(`reached ${id}`, timeoutMs);
    if (line === undefined) {
      this.child.stdin.write("disarm\n");
      return undefined;
    }
    return BigInt(line.split(" ")[2]!);
  }

  /** Ends the agent (its stdin closes; SIGKILL if it lingers). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once("exit", () => r()));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    await gone;
    clearTimeout(timer);
  }
}
