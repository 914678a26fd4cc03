// The HTTP client of the daemon's API: JSON over a unix socket with node:http
// and one keep-alive agent, so a command that makes several requests (demo,
// rm of many networks) opens one connection, not one per request.

import { Agent, request } from "node:http";
import type { DaemonHost } from "./host.js";

/** The daemon answered with an error status; message is its `{"message"}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Nothing answered on the socket (daemon not running, wrong path, no permission). */
export class DaemonUnreachableError extends Error {
  constructor(
    readonly host: DaemonHost,
    readonly code: string | undefined,
  ) {
    super(
      code === "EACCES"
        ? `permission denied while trying to connect to the cnm daemon at ${host.url}`
        : `cannot connect to the cnm daemon at ${host.url}: is cnmd running?`,
    );
    this.name = "DaemonUnreachableError";
  }
}

export type Query = Readonly<Record<string, string | undefined>>;

export class ApiClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });

  constructor(readonly host: DaemonHost) {}

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, undefined, query);
  }

  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>("POST", path, body ?? {}, query);
  }

  delete(path: string, query?: Query): Promise<void> {
    return this.request<void>("DELETE", path, undefined, query);
  }

  /**
   * One request; resolves with the parsed JSON body (undefined when empty, e.g. 204),
   * rejects with ApiError for status >= 400 and DaemonUnreachableError when the socket is dead.
   */
  request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { Accept: "application/json" };
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = payload.length;
    }
    return new Promise<T>((resolve, reject) => {
      const req = request(
        { socketPath: this.host.socketPath, agent: this.agent, method, path: withQuery(path, query), headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              reject(new ApiError(status, errorMessage(text, status)));
              return;
            }
            if (text.trim() === "") {
              resolve(undefined as T);
              return;
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch {
              reject(new ApiError(status, `the daemon answered ${method} ${path} with invalid JSON`));
            }
          });
        },
      );
      req.on("error", (err: NodeJS.ErrnoException) => {
        // Errors before any response are the socket's: the daemon is not there.
        if (["ENOENT", "ECONNREFUSED", "EACCES", "ENOTSOCK"].includes(err.code ?? "")) {
          reject(new DaemonUnreachableError(this.host, err.code));
        } else {
          reject(err);
        }
      });
      req.end(payload);
    });
  }

  /** Lets the process exit: keep-alive sockets would otherwise hold it open. */
  close(): void {
    this.agent.destroy();
  }
}

function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** The daemon's `{"message": ...}`, or a fallback that still names the status. */
function errorMessage(text: string, status: number): string {
  const message = jsonMessage(text);
  if (message) return message;
  const trimmed = text.trim();
  return trimmed ? `${trimmed} (HTTP ${status})` : `the daemon answered HTTP ${status}`;
}

/** The `message` of a JSON error body; undefined when the body is not JSON (a proxy's page) or has none. */
function jsonMessage(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
  const message = (parsed as { message?: unknown } | null)?.message;
  return typeof message === "string" && message !== "" ? message : undefined;
}

/** Path segment for a user-given name or id (names may hold characters that need escaping). */
export function seg(ref: string): string {
  return encodeURIComponent(ref);
}
