import { spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sweep } from "../integration/helpers.js";

const CNMD = fileURLToPath(new URL("../../../bin/cnmd", import.meta.url));

/** A real cnmd process with its own data root, socket and prefix. */
export class DaemonProcess {
  private child: ChildProcess | undefined;
  log = "";
  readonly dataRoot: string;
  readonly socket: string;

  constructor(readonly prefix: string) {
    this.dataRoot = `/run/cnm-test/${prefix}-daemon/data`;
    this.socket = `/run/cnm-test/${prefix}-daemon/cnm.sock`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CNMD, "--data-root", this.dataRoot, "--socket", this.socket, "--prefix", this.prefix, "--log-level", "debug"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child = child;
    child.stderr!.on("data", (d) => (this.log += d));
    const deadline = Date.now() + 20_000;
    const startedAt = this.log.length;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`cnmd exited with ${child.exitCode}:\n${this.log.slice(startedAt)}`);
      // Ready when this process says so (another daemon may answer on the same socket).
      if (this.log.slice(startedAt).includes("cnmd listening on")) return;
      if (Date.now() > deadline) throw new Error(`cnmd did not answer within 20 s:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9: no chance to clean anything. */
  async crash(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** SIGTERM: a clean stop that leaves networks and sandboxes up. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(sig);
    await exited;
  }

  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { socketPath: this.socket, method, path, headers: payload ? { "Content-Type": "application/json" } : {} },
        (res) => {
          let data = "";
          res.on("data", (d) => (data += d));
          res.on("end", () => {
            // /_ping answers plain text; everything else JSON.
            const json = res.headers["content-type"]?.startsWith("application/json") && data ? (JSON.parse(data) as unknown) : data;
            resolve({ status: res.statusCode ?? 0, json });
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Stops the daemon and removes every kernel object and file with its prefix. */
  async destroy(): Promise<void> {
    await this.signal("SIGKILL");
    sweep(this.prefix);
    rmSync(`/run/cnm-test/${this.prefix}-daemon`, { recursive: true, force: true });
  }
}
