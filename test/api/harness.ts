import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Controller } from "../../src/index.js";
import { createApiServer, type ApiServer } from "../../src/api/index.js";
import { newController, sweep, uniquePrefix } from "../integration/helpers.js";

/** A real controller (own kernel prefix) and the API server on a temporary unix socket. */
export interface ApiFixture {
  readonly prefix: string;
  readonly controller: Controller;
  readonly server: ApiServer;
  readonly socketPath: string;
  /** Environment for the docker CLI: DOCKER_HOST at the socket, a private config directory. */
  readonly dockerEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startApi(): Promise<ApiFixture> {
  const prefix = uniquePrefix();
  const controller = await newController(prefix);
  const server = createApiServer(controller);
  const socketPath = `/run/cnm-test/${prefix}-api.sock`;
  const dockerConfig = mkdtempSync(join(tmpdir(), "cnm-docker-config-"));
  try {
    await server.listen(socketPath);
  } catch (err) {
    await controller.close();
    sweep(prefix);
    rmSync(dockerConfig, { recursive: true, force: true });
    throw err;
  }
  return {
    prefix,
    controller,
    server,
    socketPath,
    dockerEnv: { ...process.env, DOCKER_HOST: `unix://${socketPath}`, DOCKER_CONFIG: dockerConfig },
    async close() {
      try {
        await server.close();
        await controller.destroyAll();
        await controller.close();
      } finally {
        sweep(prefix);
        rmSync(socketPath, { force: true });
        rmSync(dockerConfig, { recursive: true, force: true });
        rmSync(`/run/cnm-test/${prefix}`, { recursive: true, force: true });
      }
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body as JSON (throws if it is not). */
  json<T = unknown>(): T;
}

export interface RequestOptions {
  readonly body?: string | Buffer | object;
  readonly headers?: Record<string, string>;
  readonly agent?: Agent;
}

/** One HTTP request over the unix socket. An object body is sent as JSON with its content type. */
export function request(socketPath: string, method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult> {
  let payload: Buffer | undefined;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) {
    if (Buffer.isBuffer(opts.body) || typeof opts.body === "string") payload = Buffer.from(opts.body);
    else {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers["content-type"] ??= "application/json";
    }
    if (headers["transfer-encoding"] === undefined) headers["content-length"] ??= String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, method, path, headers, ...(opts.agent ? { agent: opts.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real docker CLI against the fixture's socket (asynchronously: the server runs in this process). */
export function docker(fx: ApiFixture, args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile("docker", args, { env: fx.dockerEnv, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** docker that must succeed; its stdout. */
export async function dockerOk(fx: ApiFixture, args: readonly string[]): Promise<string> {
  const r = await docker(fx, args);
  if (r.code !== 0) throw new Error(`docker ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
