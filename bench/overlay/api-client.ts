/**
 * The daemon's HTTP API over its unix socket with node:http and a keep-alive
 * agent: a request costs what the daemon spends on it, not a CLI's Node
 * startup (~100 ms) nor a fresh connection.
 */
import { Agent, request } from "node:http";

const API = "/v1.48";

export class ApiClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });

  constructor(readonly socketPath: string) {}

  /** Sends one request; resolves with status and parsed JSON body (undefined when empty). */
  call(method: string, path: string, body?: object): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          agent: this.agent,
          method,
          path: `${API}${path}`,
          headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown = text;
            try {
              parsed = text === "" ? undefined : JSON.parse(text);
            } catch {
              // Not JSON: keep the text for the error message.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Like call, but a status other than 2xx is an error carrying the daemon's message. */
  async ok<T = unknown>(method: string, path: string, body?: object): Promise<T> {
    const r = await this.call(method, path, body);
    if (r.status < 200 || r.status > 299) throw new Error(`${method} ${path} on ${this.socketPath}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
