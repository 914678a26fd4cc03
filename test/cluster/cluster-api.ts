/**
 * What the cluster tests say to a testbed host's cnmd: Docker's API over the
 * host's unix socket with node:http (hundreds of calls cost no CLI start
 * each), a few typed views on top, and ping from inside a sandbox by entering
 * its namespace directly.
 */
import { request } from "node:http";
import { runCommand, type TestbedHost } from "../../src/testbed/index.js";

export interface ApiResult {
  readonly status: number;
  readonly text: string;
}

/** One request to the host's daemon; a body is sent as JSON. Never throws on an HTTP error status. */
export function api(host: TestbedHost, method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<ApiResult> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {};
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: host.socket, method, path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} on ${host.name}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** A request that must answer 2xx; its body parsed (undefined when empty). */
export async function apiOk<T = unknown>(host: TestbedHost, method: string, path: string, body?: unknown): Promise<T> {
  const r = await api(host, method, path, body);
  if (r.status < 200 || r.status >= 300) {
    throw new Error(`${method} ${path} on ${host.name} answered ${r.status}: ${r.text}\n--- cnmd log ---\n${host.logTail(3000)}`);
  }
  return (r.text === "" ? undefined : JSON.parse(r.text)) as T;
}

export const createSandbox = (host: TestbedHost, name: string): Promise<{ Id: string }> => apiOk(host, "POST", "/sandboxes/create", { Name: name, NetworkMode: "none" });
export const deleteSandbox = (host: TestbedHost, name: string): Promise<unknown> => apiOk(host, "DELETE", `/sandboxes/${encodeURIComponent(name)}`);
export const connect = (host: TestbedHost, network: string, sandbox: string): Promise<unknown> =>
  apiOk(host, "POST", `/networks/${encodeURIComponent(network)}/connect`, { Container: sandbox });
export const disconnect = (host: TestbedHost, network: string, sandbox: string): Promise<unknown> =>
  apiOk(host, "POST", `/networks/${encodeURIComponent(network)}/disconnect`, { Container: sandbox });

export interface SandboxInfo {
  readonly Name: string;
  /** The namespace's path (/run/netns/<prefix>-<hex>). */
  readonly Key: string;
  readonly Networks: Record<string, { IPAddress: string; EndpointID: string }>;
}

export const sandboxes = (host: TestbedHost): Promise<SandboxInfo[]> => apiOk(host, "GET", "/sandboxes");

export interface NetworkInfo {
  readonly Name: string;
  readonly Id: string;
  readonly Driver: string;
  readonly Scope: string;
}

export const networks = (host: TestbedHost): Promise<NetworkInfo[]> => apiOk(host, "GET", "/networks");

/** The overlay_peer_table of a network as this host's NetworkDB holds it: the endpoint addresses (without prefix length), sorted. */
export async function peerAddresses(host: TestbedHost, network: string): Promise<string[]> {
  const entries = await apiOk<{ Decoded?: { endpointIp?: string } }[]>(host, "GET", `/cluster/networks/${encodeURIComponent(network)}/tables/overlay_peer_table`);
  return entries.map((e) => bareAddress(e.Decoded?.endpointIp ?? "?")).sort();
}

export interface ClusterInfo {
  readonly NodeName: string;
  readonly NodeID: string;
  readonly Members: { NodeID: string; Addr: string; State: string; NetworkDBState: string }[];
}

export const clusterView = (host: TestbedHost): Promise<ClusterInfo> => apiOk(host, "GET", "/cluster");

/** One ping from inside a sandbox's namespace (entered directly: no CLI, no daemon in the path). */
export async function pingFrom(sandboxKey: string, to: string, timeoutSeconds = 1): Promise<boolean> {
  const r = await runCommand(["nsenter", `--net=${sandboxKey}`, "--", "ping", "-c", "1", "-W", String(timeoutSeconds), "-q", to], { timeoutMs: 10_000 });
  return r.code === 0;
}

/** "10.0.0.5/24" -> "10.0.0.5"; an address without a length is returned as it is. */
export function bareAddress(ip: string): string {
  const slash = ip.indexOf("/");
  return slash < 0 ? ip : ip.slice(0, slash);
}
