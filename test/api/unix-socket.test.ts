import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { after, before, describe, it } from "node:test";
import type { Controller } from "../../src/index.js";
import { SocketInUseError, createApiServer } from "../../src/api/index.js";
import { newController, sweep, uniquePrefix } from "../integration/helpers.js";
import { request } from "./harness.js";

/** A socket file nothing listens on, as a killed daemon leaves behind (bound, never listening). */
function staleSocket(path: string): void {
  execFileSync("python3", ["-c", "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", path]);
}

describe("the API's unix socket", () => {
  const prefix = uniquePrefix();
  let controller: Controller;
  let dir: string;

  before(async () => {
    controller = await newController(prefix);
    dir = mkdtempSync("/run/cnm-test/api-sock-");
  });
  after(async () => {
    try {
      await controller.destroyAll();
      await controller.close();
    } finally {
      sweep(prefix);
      rmSync(dir, { recursive: true, force: true });
      rmSync(`/run/cnm-test/${prefix}`, { recursive: true, force: true });
    }
  });

  it("replaces a stale socket file, listens with mode 0660, and removes the file on close", async () => {
    const path = join(dir, "stale.sock");
    staleSocket(path);
    assert.ok(statSync(path).isSocket());
    const server = createApiServer(controller);
    await server.listen(path);
    try {
      assert.equal(statSync(path).mode & 0o777, 0o660);
      assert.equal((await request(path, "GET", "/_ping")).text, "OK");
    } finally {
      await server.close();
    }
    assert.equal(existsSync(path), false);
  });

  it("refuses to take over a socket another server answers on, which keeps serving", async () => {
    const path = join(dir, "live.sock");
    const first = createApiServer(controller);
    await first.listen(path);
    const second = createApiServer(controller);
    try {
      await assert.rejects(second.listen(path), SocketInUseError);
      assert.equal((await request(path, "GET", "/_ping")).status, 200);
    } finally {
      await second.close();
      await first.close();
    }
    assert.equal(existsSync(path), false);
  });

  it("never removes a file that is not a socket, and creates missing directories", async () => {
    const path = join(dir, "regular");
    writeFileSync(path, "keep me");
    const server = createApiServer(controller);
    await assert.rejects(server.listen(path), /exists and is not a socket/);
    assert.equal(readFileSync(path, "utf8"), "keep me");
    const nested = join(dir, "a", "b", "api.sock");
    await server.listen(nested);
    try {
      assert.ok(statSync(nested).isSocket());
    } finally {
      await server.close();
    }
  });

  it("logs requests through a pino-compatible logger when given one", async () => {
    const lines: string[] = [];
    const logger = makeLogger(lines);
    const path = join(dir, "log.sock");
    const server = createApiServer(controller, { logger });
    await server.listen(path);
    try {
      await request(path, "GET", "/networks/nope");
    } finally {
      await server.close();
    }
    assert.ok(lines.some((l) => l.includes("/networks/nope")), lines.join("\n"));
  });
});

/** The smallest pino-compatible logger: every level appends a line; child() shares the sink. */
function makeLogger(lines: string[]): import("fastify").FastifyBaseLogger {
  const log = (level: string) => (obj: unknown, msg?: string) => {
    lines.push(`${level} ${typeof obj === "string" ? obj : inspect(obj, { depth: 2 })} ${msg ?? ""}`);
  };
  const logger = {
    level: "debug",
    fatal: log("fatal"),
    error: log("error"),
    warn: log("warn"),
    info: log("info"),
    debug: log("debug"),
    trace: log("trace"),
    silent: () => {},
    child: () => logger,
  };
  return logger as unknown as import("fastify").FastifyBaseLogger;
}
