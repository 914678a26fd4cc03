import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { request } from "node:http";
import { CnmdProcess } from "../../src/testbed/cnmd-process.js";
import { sweep } from "../integration/helpers.js";

/** A real cnmd process with its own data root, socket and prefix (the testbed's CnmdProcess, on this host). */
export class DaemonProcess {
  private readonly cnmd: CnmdProcess;
  private readonly dir: string;
  readonly dataRoot: string;
  readonly socket: string;

  constructor(readonly prefix: string) {
    this.dir = `/run/cnm-test/${prefix}-daemon`;
    this.dataRoot = `${this.dir}/data`;
    this.socket = `${this.dir}/cnm.sock`;
    // A log file of this instance's own: a second DaemonProcess on the same data root must not read the first one's.
    this.cnmd = new CnmdProcess({ dataRoot: this.dataRoot, socket: this.socket, prefix, logPath: `${this.dir}/cnmd-${randomBytes(3).toString("hex")}.log` });
  }

  /** Everything this instance's daemon logged, across its starts. */
  get log(): string {
    return this.cnmd.readLog();
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await this.cnmd.start();
  }

  /** kill -9: no chance to clean anything. */
  async crash(): Promise<void> {
    await this.cnmd.kill();
  }

  /** SIGTERM: a clean stop that leaves networks and sandboxes up. */
  async stop(): Promise<void> {
    await this.cnmd.stop();
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
    await this.cnmd.kill();
    sweep(this.prefix);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
