import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { prepareSocketPath, removeSocketIfOurs, socketInode } from "../sockets/unix-socket.js";
import type { Capability, Driver } from "../driverapi/index.js";
import { DiscoveryType } from "../driverapi/index.js";
import type { Ipam } from "../ipamapi/index.js";
import { str, stringsOf, ipamDataOf, networkOptionsOf, endpointOptionsOf, RequestInterface, JoinAnswer } from "./translate.js";
import { errorText } from "../log/index.js";

type Json = Record<string, unknown>;
/** One call of the protocol: the request's JSON body in, the answer's out; a throw answers 500 {"Err": message}. */
export type PluginHandler = (body: Json) => Promise<Json>;
type Handler = PluginHandler;

export interface PluginCallsOptions {
  readonly socketPath: string;
  /** What Plugin.Activate answers, e.g. ["NetworkDriver", "IpamDriver"]. */
  readonly implements: readonly string[];
  /** By call, e.g. "NetworkDriver.CreateNetwork". */
  readonly handlers: ReadonlyMap<string, PluginHandler>;
  readonly onCall?: (method: string, error?: unknown) => void;
}

export interface PluginServerOptions {
  /** The unix socket to listen on, e.g. /run/docker/plugins/<name>.sock; a stale file there is replaced. */
  readonly socketPath: string;
  /** A network driver to serve as `NetworkDriver`, with the capability GetCapabilities reports. */
  readonly driver?: { readonly driver: Driver; readonly capability: Capability };
  /** An IPAM driver to serve as `IpamDriver`. */
  readonly ipam?: Ipam;
  /** Every call and its outcome (for logs). */
  readonly onCall?: (method: string, error?: unknown) => void;
}

export interface PluginServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

/** Request bodies are small JSON documents; anything larger is refused. */
const MAX_BODY_BYTES = 1 << 20;

/**
 * Serves cnm `Driver` and/or `Ipam` implementations as a Docker plugin over
 * a unix socket: Plugin.Activate, the NetworkDriver.* and IpamDriver.* calls
 * translated to the contract and back, errors as `{"Err": "..."}` (500), an
 * unknown call as 404 (which cnm and Docker read as "not implemented").
 */
export async function servePlugin(options: PluginServerOptions): Promise<PluginServer> {
  if (!options.driver && !options.ipam) throw new TypeError("servePlugin needs a driver, an ipam, or both");
  const handlers = new Map<string, Handler>();
  const implementsList: string[] = [];
  if (options.driver) {
    implementsList.push("NetworkDriver");
    for (const [name, h] of Object.entries(driverHandlers(options.driver.driver, options.driver.capability))) handlers.set(`NetworkDriver.${name}`, h);
  }
  if (options.ipam) {
    implementsList.push("IpamDriver");
    for (const [name, h] of Object.entries(ipamHandlers(options.ipam))) handlers.set(`IpamDriver.${name}`, h);
  }
  return servePluginCalls({ socketPath: options.socketPath, implements: implementsList, handlers, ...(options.onCall ? { onCall: options.onCall } : {}) });
}

/**
 * The transport of Docker's plugin protocol, for a plugin whose calls are not
 * a cnm driver's (cnmd's own door for dockerd): HTTP POST /<Type>.<Method>
 * with JSON on a unix socket, Plugin.Activate answered from `implements`.
 */
export async function servePluginCalls(options: PluginCallsOptions): Promise<PluginServer> {
  const handlers = new Map(options.handlers);
  const implementsList = [...options.implements];
  handlers.set("Plugin.Activate", async () => ({ Implements: implementsList }));

  const server: Server = createServer((req, res) => void handle(req, res, handlers, options.onCall));
  // A socket left by a dead process is replaced; a live one (another plugin of that name) is not stolen.
  await prepareSocketPath(options.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const inode = socketInode(options.socketPath);
  return {
    socketPath: options.socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        removeSocketIfOurs(options.socketPath, inode);
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, handlers: Map<string, Handler>, onCall?: (m: string, e?: unknown) => void): Promise<void> {
  const method = (req.url ?? "/").slice(1);
  const reply = (status: number, body: Json) => {
    const data = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/vnd.docker.plugins.v1.2+json", "Content-Length": Buffer.byteLength(data) });
    res.end(data);
  };
  try {
    const raw = await readBody(req);
    const handler = req.method === "POST" ? handlers.get(method) : undefined;
    if (!handler) {
      reply(404, { Err: `unknown call ${method}` });
      return;
    }
    const body = raw.trim() === "" ? {} : (JSON.parse(raw) as unknown);
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new TypeError("the request body is not a JSON object");
    reply(200, await handler(body as Json));
    onCall?.(method);
  } catch (err) {
    onCall?.(method, err);
    reply(500, { Err: errorText(err) });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error("request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function driverHandlers(d: Driver, capability: Capability): Record<string, Handler> {
  const ids = (b: Json) => [str(b, "NetworkID"), str(b, "EndpointID")] as const;
  const node = (b: Json) => {
    const data = (b.DiscoveryData ?? {}) as Json;
    return {
      type: DiscoveryType.NodeDiscovery,
      data: { address: String(data.Address ?? ""), bindAddress: String(data.BindAddress ?? ""), self: data.Self === true },
    } as const;
  };
  return {
    GetCapabilities: async () => ({ Scope: capability.dataScope, ConnectivityScope: capability.connectivityScope ?? capability.dataScope }),
    CreateNetwork: async (b) => {
      const nid = str(b, "NetworkID");
      await d.createNetwork(nid, networkOptionsOf(nid, b.Options), { tableEventRegister: () => {} }, ipamDataOf(b.IPv4Data), ipamDataOf(b.IPv6Data));
      return {};
    },
    DeleteNetwork: async (b) => (await d.deleteNetwork(str(b, "NetworkID")), {}),
    AllocateNetwork: async (b) => ({ Options: await d.networkAllocate(str(b, "NetworkID"), stringsOf(b.Options), ipamDataOf(b.IPv4Data), ipamDataOf(b.IPv6Data)) }),
    FreeNetwork: async (b) => (await d.networkFree(str(b, "NetworkID")), {}),
    CreateEndpoint: async (b) => {
      const iface = new RequestInterface(b.Interface);
      await d.createEndpoint(...ids(b), iface, endpointOptionsOf(b.Options));
      return Object.keys(iface.set).length > 0 ? { Interface: iface.set } : {};
    },
    DeleteEndpoint: async (b) => (await d.deleteEndpoint(...ids(b)), {}),
    EndpointOperInfo: async (b) => ({ Value: await d.endpointOperInfo(...ids(b)) }),
    Join: async (b) => {
      const jinfo = new JoinAnswer();
      await d.join(...ids(b), str(b, "SandboxKey"), jinfo, { driverOpts: stringsOf(b.Options) });
      return jinfo.answer;
    },
    Leave: async (b) => (await d.leave(...ids(b)), {}),
    ProgramExternalConnectivity: async (b) => (await d.programExternalConnectivity(...ids(b), endpointOptionsOf(b.Options)), {}),
    RevokeExternalConnectivity: async (b) => (await d.revokeExternalConnectivity(...ids(b)), {}),
    DiscoverNew: async (b) => (await d.discoverNew(node(b)), {}),
    DiscoverDelete: async (b) => (await d.discoverDelete(node(b)), {}),
  };
}

function ipamHandlers(ipam: Ipam): Record<string, Handler> {
  return {
    GetCapabilities: async () => {
      const c = await ipam.getCapabilities();
      return { RequiresMACAddress: c.requiresMACAddress, RequiresRequestReplay: c.requiresRequestReplay };
    },
    GetDefaultAddressSpaces: async () => {
      const s = await ipam.getDefaultAddressSpaces();
      return { LocalDefaultAddressSpace: s.local, GlobalDefaultAddressSpace: s.global };
    },
    RequestPool: async (b) => {
      const pool = await ipam.requestPool({
        addressSpace: str(b, "AddressSpace"),
        ...(typeof b.Pool === "string" && b.Pool !== "" ? { pool: b.Pool } : {}),
        ...(typeof b.SubPool === "string" && b.SubPool !== "" ? { subPool: b.SubPool } : {}),
        options: stringsOf(b.Options),
        v6: b.V6 === true,
      });
      return { PoolID: pool.poolId, Pool: pool.pool, Data: pool.meta };
    },
    ReleasePool: async (b) => (await ipam.releasePool(str(b, "PoolID")), {}),
    RequestAddress: async (b) => {
      const preferred = typeof b.Address === "string" && b.Address !== "" ? b.Address : undefined;
      const got = await ipam.requestAddress(str(b, "PoolID"), preferred, stringsOf(b.Options));
      return { Address: got.address, Data: got.meta };
    },
    ReleaseAddress: async (b) => (await ipam.releaseAddress(str(b, "PoolID"), str(b, "Address")), {}),
  };
}
