/**
 * A small client of Docker's Engine API over its unix socket: what cnm asks of
 * a dockerd it serves as network and IPAM plugin (its networks and containers,
 * their endpoints, and what happens next, as events).
 *
 *   const docker = new EngineClient("unix:///var/run/docker.sock");
 *   const { Id } = await docker.createNetwork({ Name: "n1", Driver: "bridge" });
 *   const events = docker.events({ type: ["network"] }, (e) => console.log(e.Action));
 *   await events.ready; ...; events.close();
 *
 * Every path names API 1.41 (dockerd 20.10), so a newer dockerd answers as
 * 20.10 did. Only the fields cnm reads are typed. Failures: EngineApiError
 * (dockerd's status and message), EngineUnreachableError (nobody answered).
 */
import { request, type IncomingMessage } from "node:http";

export const ENGINE_API_VERSION = "v1.41";

/** dockerd answered, with an error status; `message` is its own ({"message": "..."}). */
export class EngineApiError extends Error {
  constructor(readonly status: number, readonly engineMessage: string, readonly method: string, readonly path: string) {
    super(`${method} ${path}: ${status} ${engineMessage}`);
    this.name = "EngineApiError";
  }
}

/** Nobody answered on the socket (ENOENT: no socket file; ECONNREFUSED: a stale one). */
export class EngineUnreachableError extends Error {
  constructor(readonly socketPath: string, readonly code: string) {
    super(`dockerd is not answering on ${socketPath} (${code})`);
    this.name = "EngineUnreachableError";
  }
}

/** Engine API filters: {"type": ["network"], "event": ["connect", "disconnect"]}. */
export type EngineFilters = Readonly<Record<string, readonly string[]>>;
type StringMap = Readonly<Record<string, string>>;

export interface EngineVersion {
  readonly Version: string; readonly ApiVersion: string; readonly MinAPIVersion: string;
  readonly Os: string; readonly Arch: string; readonly KernelVersion: string;
}

export interface NetworkIpamConfig {
  readonly Subnet?: string; readonly IPRange?: string; readonly Gateway?: string;
  readonly AuxiliaryAddresses?: StringMap;
}

export interface NetworkIpam {
  readonly Driver?: string; readonly Config?: readonly NetworkIpamConfig[] | null; readonly Options?: StringMap | null;
}

export interface NetworkSummary {
  readonly Name: string; readonly Id: string; readonly Driver: string; readonly Scope: string;
  readonly IPAM: NetworkIpam; readonly Options: StringMap | null; readonly Labels: StringMap | null;
}

/** One container on a network, as GET /networks/{id} lists it. */
export interface NetworkContainer {
  readonly Name: string; readonly EndpointID: string; readonly MacAddress: string;
  readonly IPv4Address: string; readonly IPv6Address: string;
}

/** Containers: keyed by container id, {} on a network without any. */
export interface NetworkInspect extends NetworkSummary { readonly Containers: Readonly<Record<string, NetworkContainer>> }

export interface NetworkCreateRequest {
  readonly Name: string; readonly Driver?: string; readonly CheckDuplicate?: boolean;
  readonly Internal?: boolean; readonly Attachable?: boolean; readonly EnableIPv6?: boolean;
  readonly IPAM?: NetworkIpam; readonly Options?: StringMap; readonly Labels?: StringMap;
}

export interface NetworkCreateResponse { readonly Id: string; readonly Warning: string }

export interface ContainerSummary {
  readonly Id: string; readonly Names: readonly string[]; readonly Image: string; readonly State: string; readonly Status: string;
}

/** A container's place on one network (NetworkSettings.Networks[name]). */
export interface EndpointSettings {
  readonly NetworkID: string; readonly EndpointID: string; readonly Gateway: string;
  readonly IPAddress: string; readonly IPPrefixLen: number; readonly MacAddress: string;
  readonly Aliases: readonly string[] | null;
}

export interface ContainerInspect {
  /** Name is "/name": dockerd keeps the slash. */
  readonly Id: string; readonly Name: string;
  readonly State: { readonly Status: string; readonly Running: boolean; readonly Pid: number; readonly ExitCode: number };
  readonly NetworkSettings: { readonly SandboxKey: string; readonly Networks: Readonly<Record<string, EndpointSettings>> };
}

/** One message of GET /events (Type "network": Actor.ID is the network, Attributes.container the container). */
export interface EngineEvent {
  readonly Type: string; readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: StringMap };
  readonly scope?: string; readonly time: number; readonly timeNano: number;
}

export interface EventSubscription {
  /** Resolves once dockerd has accepted the subscription: events after that are delivered. */
  readonly ready: Promise<void>;
  /** Resolves when the stream ends: closed by us, or by dockerd going away (then with its error). */
  readonly ended: Promise<Error | undefined>;
  close(): void;
}

/** "unix:///var/run/docker.sock" (or a bare path) -> "/var/run/docker.sock". */
export function engineSocketPath(url: string): string {
  if (url.startsWith("unix://")) return url.slice("unix://".length);
  if (url.startsWith("/")) return url;
  throw new TypeError(`only unix sockets are supported, not "${url}"`);
}

export class EngineClient {
  readonly socketPath: string;

  constructor(url = "unix:///var/run/docker.sock", private readonly timeoutMs = 30_000) {
    this.socketPath = engineSocketPath(url);
  }

  /** Resolves when dockerd answers GET /_ping; EngineUnreachableError when nobody does. */
  async ping(): Promise<void> {
    await this.call("GET", "/_ping", undefined, false);
  }
  version(): Promise<EngineVersion> {
    return this.call("GET", "/version") as Promise<EngineVersion>;
  }
  listNetworks(filters?: EngineFilters): Promise<NetworkSummary[]> {
    return this.call("GET", `/networks${query({ filters })}`) as Promise<NetworkSummary[]>;
  }
  inspectNetwork(id: string): Promise<NetworkInspect> {
    return this.call("GET", `/networks/${encodeURIComponent(id)}`) as Promise<NetworkInspect>;
  }
  createNetwork(body: NetworkCreateRequest): Promise<NetworkCreateResponse> {
    return this.call("POST", "/networks/create", body) as Promise<NetworkCreateResponse>;
  }
  async deleteNetwork(id: string): Promise<void> {
    await this.call("DELETE", `/networks/${encodeURIComponent(id)}`, undefined, false);
  }
  listContainers(all = false): Promise<ContainerSummary[]> {
    return this.call("GET", `/containers/json${query({ all: all ? "1" : undefined })}`) as Promise<ContainerSummary[]>;
  }
  inspectContainer(id: string): Promise<ContainerInspect> {
    return this.call("GET", `/containers/${encodeURIComponent(id)}/json`) as Promise<ContainerInspect>;
  }

  /**
   * Follows GET /events: `onEvent` is called with each event matching
   * `filters` until close(). dockerd writes one JSON object per line.
   */
  events(filters: EngineFilters, onEvent: (event: EngineEvent) => void): EventSubscription {
    const path = `/${ENGINE_API_VERSION}/events${query({ filters })}`;
    let closed = false;
    let settleReady!: (err?: Error) => void, settleEnded!: (err?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => (settleReady = (err) => (err ? reject(err) : resolve())));
    const ended = new Promise<Error | undefined>((resolve) => (settleEnded = resolve));
    ready.catch(() => {}); // the caller may only await `ended`
    const fail = (err: Error) => {
      settleReady(err);
      settleEnded(err);
    };
    const req = request({ socketPath: this.socketPath, path, method: "GET" }, (res) => {
      if (res.statusCode !== 200) {
        void readBody(res).then((text) => fail(new EngineApiError(res.statusCode ?? 0, engineMessage(text), "GET", path)));
        return;
      }
      settleReady();
      let pending = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        pending += chunk;
        for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line === "") continue;
          let event: EngineEvent;
          try {
            event = JSON.parse(line) as EngineEvent;
          } catch {
            // Not dockerd's event stream: end it rather than throw in a socket's callback.
            req.destroy(new Error(`${path}: not JSON: ${line.slice(0, 200)}`));
            return;
          }
          onEvent(event);
        }
      });
      res.on("end", () => settleEnded(closed ? undefined : new Error(`dockerd ended ${path}`)));
      res.on("error", (err) => settleEnded(closed ? undefined : err));
    });
    req.on("error", (err) => (closed ? settleEnded(undefined) : fail(unreachableOr(err, this.socketPath))));
    req.end();
    const close = () => {
      closed = true;
      req.destroy();
      settleEnded(undefined);
    };
    return { ready, ended, close };
  }

  /** One request: the answer's JSON (its text when `json` is false), EngineApiError on a status >= 400. */
  private call(method: string, apiPath: string, body?: unknown, json = true): Promise<unknown> {
    const path = apiPath === "/_ping" ? apiPath : `/${ENGINE_API_VERSION}${apiPath}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const headers = payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) };
      const req = request({ socketPath: this.socketPath, path, method, timeout: this.timeoutMs, headers }, (res) => {
        readBody(res).then((text) => {
          const status = res.statusCode ?? 0;
          if (status >= 400) reject(new EngineApiError(status, engineMessage(text), method, path));
          else resolve(!json || text === "" ? text : (JSON.parse(text) as unknown));
        }, reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on("error", (err) => reject(unreachableOr(err, this.socketPath)));
      req.end(payload);
    });
  }
}

function query(params: Readonly<Record<string, string | EngineFilters | undefined>>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, typeof value === "string" ? value : JSON.stringify(value));
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    res.on("end", () => resolve(text)).on("error", reject);
  });
}

/** dockerd's {"message": "..."}, or the body itself when it is not that. */
function engineMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {} // not JSON: plain text (a proxy's, say)
  return text.trim();
}

function unreachableOr(err: Error, socketPath: string): Error {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ECONNREFUSED" ? new EngineUnreachableError(socketPath, code) : err;
}
