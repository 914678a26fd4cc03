import { chmodSync, chownSync } from "node:fs";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from "fastify";
import { MAX_API_VERSION, requestedVersion, stripVersionPrefix, unsupportedVersionMessage } from "./api-version.js";
import type { ApiController } from "./backend.js";
import { badRequest, clientErrorHandler, errorResponse } from "./http-errors.js";
import { collectRawBodies } from "./json-body.js";
import { registerNetworkRoutes } from "./network-routes.js";
import { registerSandboxRoutes } from "./sandbox-routes.js";
import { registerSystemRoutes } from "./system-routes.js";
import { registerClusterRoutes, type ClusterBackend } from "./cluster-routes.js";
import { prepareSocketPath, removeSocketIfOurs, socketInode } from "../sockets/unix-socket.js";

export interface ApiServerOptions {
  /** A pino-compatible logger (fastify's loggerInstance). Default: none, the server is quiet. */
  readonly logger?: FastifyBaseLogger;
  /** Largest request body in bytes; larger ones get 413. Default 1 MiB (Docker's own bodies are a few KiB). */
  readonly bodyLimit?: number;
  /** The server version /version reports. Default "0.1.0". */
  readonly version?: string;
  /** Permissions of the socket file. Default 0o660: the owner and its group (Docker's "docker" group model). */
  readonly socketMode?: number;
  /** Group to give the socket file, e.g. a "cnm" group whose members may use the API. Default: unchanged. */
  readonly socketGroup?: number;
  /** The host's cluster view for /cluster routes; absent on a single host. */
  readonly cluster?: ClusterBackend;
}

export interface ApiServer {
  /** Listens on a unix socket; refuses (SocketInUseError) if another server answers there. */
  listen(socketPath: string): Promise<void>;
  /** Stops accepting, ends idle keep-alive connections, removes the socket file. */
  close(): Promise<void>;
  readonly fastify: FastifyInstance;
}

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

/**
 * The Docker-compatible HTTP API over a controller: Docker's network
 * endpoints as the docker CLI uses them, plus cnm's sandbox endpoints, with
 * every body and query validated and every error as `{"message": ...}`.
 */
export function createApiServer(controller: ApiController, options: ApiServerOptions = {}): ApiServer {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const serverVersion = options.version ?? "0.1.0";
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit,
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Refs longer than a name are refused by the handlers with a clear message; beyond this, 414.
    routerOptions: { maxParamLength: 1024 },
    requestTimeout: 60_000,
    rewriteUrl: (req) => stripVersionPrefix(req),
    clientErrorHandler,
    // Malformed URLs are refused before routing, so no hook runs: written directly, in Docker's shape.
    frameworkErrors: (err, _req, reply) => {
      const { status, message } = errorResponse(err, bodyLimit);
      const body = JSON.stringify({ message });
      const r = reply as unknown as FastifyReply;
      r.hijack();
      r.raw.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "Api-Version": MAX_API_VERSION });
      r.raw.end(body);
    },
    ajv: {
      // Docker's decoder never converts types ("true" is not a bool), drops nothing, fills no defaults.
      customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allowUnionTypes: true, verbose: true },
    },
  }) as unknown as FastifyInstance;

  collectRawBodies(app, bodyLimit);

  app.addHook("onRequest", async (req, reply) => {
    reply.header("Api-Version", MAX_API_VERSION);
    reply.header("Ostype", "linux");
    reply.header("Docker-Experimental", "false");
    reply.header("Server", `cnm/${serverVersion} (linux)`);
    const unsupported = unsupportedVersionMessage(requestedVersion(req.raw));
    if (unsupported) throw badRequest(unsupported);
  });

  // Docker sends a bare "application/json", and the docker client decodes an error
  // body only for exactly that type; fastify would append "; charset=utf-8".
  app.addHook("onSend", async (_req, reply, payload) => {
    const type = reply.getHeader("content-type");
    if (typeof type === "string" && type.startsWith("application/json")) reply.header("content-type", "application/json");
    return payload;
  });

  app.setErrorHandler((err, req, reply) => {
    const { status, message } = errorResponse(err, bodyLimit);
    if (status >= 500) req.log.error({ err }, "request failed");
    return reply.code(status).type("application/json").send({ message });
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).type("application/json").send({ message: "page not found" }));

  registerSystemRoutes(app, serverVersion);
  registerNetworkRoutes(app, controller);
  registerSandboxRoutes(app, controller);
  registerClusterRoutes(app, controller, options.cluster);

  let listening: { path: string; inode: number | undefined } | undefined;
  return {
    fastify: app,
    async listen(socketPath: string): Promise<void> {
      await prepareSocketPath(socketPath);
      await app.listen({ path: socketPath });
      chmodSync(socketPath, options.socketMode ?? 0o660);
      if (options.socketGroup !== undefined) chownSync(socketPath, -1, options.socketGroup);
      listening = { path: socketPath, inode: socketInode(socketPath) };
    },
    async close(): Promise<void> {
      await app.close();
      const was = listening;
      listening = undefined;
      if (!was) return;
      try {
        removeSocketIfOurs(was.path, was.inode);
      } catch (err) {
        // Closed all the same: the next start removes a dead socket file itself (prepareSocketPath).
        app.log.warn({ err, socket: was.path }, "could not remove the API socket file");
      }
    },
  };
}
