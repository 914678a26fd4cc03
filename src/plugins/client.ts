import { request, type ClientRequest, type IncomingMessage } from "node:http";
import { DelegateBackoff, ExponentialBackoff, handleWhen, noJitterGenerator, retry, type IBackoff, type RetryPolicy } from "cockatiel";
import { NotImplementedError } from "../errors.js";
import { PluginCallError, PluginUnavailableError } from "./errors.js";

/** The media type Docker's engine sends plugins in Accept (pkg/plugins/transport VersionMimetype). */
export const PLUGIN_MIMETYPE = "application/vnd.docker.plugins.v1.2+json";

/** Answers larger than this are refused: a plugin's JSON is small, and memory is not the plugin's to take. */
const MAX_ANSWER_BYTES = 16 << 20;

export interface PluginClientOptions {
  /**
   * Bound on one attempt of one call, from connecting to the last byte of the
   * answer. Docker's v1 plugin client has none (a hung plugin hangs the
   * daemon); cnm bounds every call. Default 30 s, Docker's defaultTimeOut.
   */
  readonly callTimeoutMs?: number;
  /**
   * How long a call keeps retrying while the plugin cannot be reached (socket
   * absent, connection refused), as Docker's callWithRetry: it gives up when
   * the next wait would end past this budget. Default 30 s (defaultTimeOut).
   */
  readonly retryTimeoutMs?: number;
  /** First wait between retries, doubled each time up to retryTimeoutMs. Default 1 s, as Docker's backoff. */
  readonly retryBackoffMs?: number;
}

type Target = { readonly socketPath: string } | { readonly host: string; readonly port: number };

/**
 * Speaks Docker's plugin protocol to one plugin: HTTP POST /<Method> with a
 * JSON body, JSON back. A fresh connection per call (no keep-alive) so that a
 * plugin that restarted is reached at once and one that died is noticed by
 * the call that needs it.
 */
export class PluginClient {
  private readonly target: Target;
  private readonly callTimeoutMs: number;
  private readonly retryTimeoutMs: number;
  private readonly retryBackoffMs: number;

  constructor(
    readonly pluginName: string,
    readonly addr: string,
    options: PluginClientOptions = {},
  ) {
    this.target = targetOf(addr);
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.retryTimeoutMs = options.retryTimeoutMs ?? 30_000;
    this.retryBackoffMs = options.retryBackoffMs ?? 1_000;
  }

  /**
   * Calls `method` (e.g. "NetworkDriver.Join") with `args` (no body when
   * undefined, as Docker sends for nil) and returns the parsed answer. Throws
   * PluginCallError for the plugin's own errors and PluginUnavailableError
   * when it cannot be reached or gives no usable answer.
   */
  async call<T = Record<string, unknown>>(method: string, args?: unknown): Promise<T> {
    const body = args === undefined ? "" : JSON.stringify(args);
    try {
      return (await this.whileNotReached().execute(() => this.attempt(method, body))) as T;
    } catch (err) {
      if (err instanceof NotReachedError) throw new PluginUnavailableError(this.pluginName, method, err.message, { cause: err.cause });
      throw err;
    }
  }

  /**
   * Docker's callWithRetry, for one call: only a plugin that was not reached
   * is tried again (one reached may have acted on the call: a reset or a
   * timeout is final), after 1, 2, 4... s, giving up when the next wait would
   * end past the budget. cockatiel decides whether to retry before it asks
   * the backoff for the wait, so the filter takes the next wait from the
   * sequence (it needs it to judge the budget) and the policy waits that.
   */
  private whileNotReached(): RetryPolicy {
    const start = Date.now();
    const waits = new ExponentialBackoff({ generator: noJitterGenerator, initialDelay: this.retryBackoffMs, maxDelay: this.retryTimeoutMs });
    let next: IBackoff<unknown> | undefined;
    const retryable = (err: Error): boolean => {
      if (!(err instanceof NotReachedError)) return false;
      next = next === undefined ? waits.next() : next.next(undefined);
      return Date.now() - start + next.duration < this.retryTimeoutMs;
    };
    return retry(handleWhen(retryable), { maxAttempts: Infinity, backoff: new DelegateBackoff(() => next?.duration ?? 0) });
  }

  private attempt(method: string, body: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const fail = (reason: string, cause?: unknown) =>
        settle(() => reject(new PluginUnavailableError(this.pluginName, method, reason, { cause })));
      const req: ClientRequest = request({
        ...this.target,
        method: "POST",
        path: `/${method}`,
        agent: false,
        headers: {
          Host: "plugin.moby.localhost",
          Accept: PLUGIN_MIMETYPE,
          "Content-Type": PLUGIN_MIMETYPE,
          "Content-Length": Buffer.byteLength(body),
        },
      });
      const timer = setTimeout(() => {
        fail(`no answer within ${this.callTimeoutMs} ms (plugin hung?)`);
        req.destroy();
      }, this.callTimeoutMs);
      req.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT" || err.code === "ECONNREFUSED") {
          const reason = err.code === "ENOENT" ? `socket ${this.addr} is gone (plugin not running?)` : `connection refused at ${this.addr} (plugin not running?)`;
          settle(() => reject(new NotReachedError(reason, err)));
        } else if (err.code === "ECONNRESET" || err.message === "socket hang up") {
          fail("the connection closed before an answer (plugin died mid-call?)", err);
        } else {
          fail(err.message, err);
        }
      });
      req.on("response", (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            fail(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
            req.destroy();
          } else chunks.push(chunk);
        });
        res.on("error", (err) => fail(`the answer was cut off: ${err.message}`, err));
        res.on("aborted", () => fail("the answer was cut off (plugin died mid-answer?)"));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          settle(() => {
            try {
              resolve(this.parseAnswer(method, res.statusCode ?? 0, text));
            } catch (err) {
              reject(err);
            }
          });
        });
      });
      req.end(body);
    });
  }

  /** Docker's rules: non-200 is an error carrying `Err` or else the body; 200 with a non-empty `Err` too. */
  private parseAnswer(method: string, status: number, text: string): unknown {
    let parsed: unknown;
    try {
      parsed = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      if (status !== 200) throw new PluginCallError(this.pluginName, method, status, text.trim() || `HTTP ${status}`);
      throw new PluginUnavailableError(this.pluginName, method, `answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
    const errText = typeof parsed === "object" && parsed !== null ? (parsed as { Err?: unknown }).Err : undefined;
    if (status !== 200) {
      throw new PluginCallError(this.pluginName, method, status, typeof errText === "string" && errText !== "" ? errText : text.trim() || `HTTP ${status}`);
    }
    if (typeof errText === "string" && errText !== "") throw new PluginCallError(this.pluginName, method, status, errText);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new PluginUnavailableError(this.pluginName, method, `answer is not a JSON object: ${text.slice(0, 200)}`);
    }
    return parsed;
  }
}

/** The request never reached the plugin, so it is safe to send again. */
class NotReachedError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

function targetOf(addr: string): Target {
  const url = new URL(addr);
  if (url.protocol === "unix:") return { socketPath: decodeURIComponent(url.pathname) };
  if (url.protocol === "tcp:" || url.protocol === "http:") return { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) };
  throw new NotImplementedError(`plugin address ${addr}: only unix:// and tcp:// are supported`);
}
