/**
 * The HTTP control surface of networkdb-node. Like Go's diagnostic server,
 * it answers every command with status 200 and says in the body whether
 * it worked ("OK", "FAIL", "missing parameter"); a path it does not know
 * gets "not implemented". Parameters come from the query string or a
 * url-encoded body, as Go's r.Form.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { NetworkDB } from "../networkdb/index.js";
import { render, wrongCommand, type ReplyFormat } from "./diagnostic-result.js";
import { diagnosticsReport, streamEvents } from "./extensions.js";
import { networkdbCommands, type CommandReply } from "./networkdb-routes.js";
import { TableWatches } from "./table-watches.js";

export interface ControlServer {
  readonly fastify: FastifyInstance;
  /** Listens; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The form of a request as Go's r.ParseForm builds it: for POST, PUT and
 * PATCH with a url-encoded body, the body's values come first (a handler
 * reading the first value of a name gets the body's over the query's),
 * then the query's; any other request has the query's alone.
 */
function formOf(req: FastifyRequest): URLSearchParams {
  const query = new URLSearchParams(req.url.includes("?") ? req.url.slice(req.url.indexOf("?") + 1) : "");
  const hasForm =
    ["POST", "PUT", "PATCH"].includes(req.method) &&
    typeof req.body === "string" &&
    /^application\/x-www-form-urlencoded/i.test(req.headers["content-type"] ?? "");
  if (!hasForm) return query;
  const form = new URLSearchParams(req.body as string);
  for (const [k, v] of query) form.append(k, v);
  return form;
}

/** Go's ParseHTTPFormOptions: `json` present asks for JSON, `json=pretty` for indented JSON. */
function formatOf(form: URLSearchParams): ReplyFormat {
  if (!form.has("json")) return "text";
  return form.get("json") === "pretty" ? "json-pretty" : "json";
}

export function createControlServer(db: NetworkDB, advertisedIp: () => string): ControlServer {
  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false,
    bodyLimit: 16 * 1024 * 1024,
    // /events streams never end by themselves: close must not wait for them.
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  // Bodies are read as text whatever their type; only url-encoded ones are parsed, as Go does.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));

  const watches = new TableWatches(db);
  const commands = networkdbCommands({ db, advertisedIp, watches });

  app.get("/events", (req, reply) => {
    reply.hijack();
    streamEvents(db, formOf(req), reply.raw);
  });
  app.get("/diagnostics", async (req, reply) => {
    reply.type("application/json").send(await diagnosticsReport(db, formOf(req)));
  });

  app.all("/*", async (req, reply) => {
    const form = formOf(req);
    const path = req.url.split("?")[0]!;
    const handler = commands.get(path);
    const result: CommandReply = handler
      ? await handler({ path, form })
      : wrongCommand("not implemented", `URL path: ${path} no method implemented check /help\n`);
    if ("raw" in result) {
      reply.type("text/plain; charset=utf-8").send(result.raw);
      return;
    }
    const { body, contentType } = render(result, formatOf(form));
    reply.type(contentType).send(body);
  });

  return {
    fastify: app,
    async listen(host, port) {
      await app.listen({ host, port });
      const addr = app.server.address();
      return typeof addr === "object" && addr !== null ? addr.port : port;
    },
    async close() {
      watches.closeAll();
      await app.close();
    },
  };
}
