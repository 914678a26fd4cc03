// Optional check that no other process on the host already uses a port,
// done by binding a socket on it for a moment. Why bother: a published port
// is a DNAT, which silently shadows a host service listening on the same
// port; Docker avoids that by binding the port itself (docker-proxy), cnm
// only probes. Limits, by construction: the probe sees the sockets of the
// network namespace it runs in (the daemon's, normally the host's); it is a
// moment-in-time check (a process may bind right after); and sctp is not
// probed (Node has no sctp sockets).
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { canonicalHostIP, type PortAllocator, type PortProtocol } from "./port-allocator.js";

/** The port is free in the allocator but some other process on the host has it bound. */
export class PortInUseError extends Error {
  constructor(
    readonly proto: PortProtocol,
    readonly hostIP: string,
    readonly port: number,
  ) {
    super(`port ${port}/${proto} on ${hostIP} is in use by another process on the host`);
    this.name = "PortInUseError";
  }
}

/**
 * Resolves true if a socket can be bound on hostIP:port for proto (tcp/udp),
 * false if the address is in use. Other bind errors (e.g. hostIP is not an
 * address of this host: EADDRNOTAVAIL) are rethrown. sctp always resolves true.
 */
export function isHostPortFree(proto: PortProtocol, hostIP: string | undefined, port: number): Promise<boolean> {
  const ip = canonicalHostIP(hostIP);
  const v6 = ip.includes(":");
  const onError = (resolve: (v: boolean) => void, reject: (e: Error) => void) => (e: NodeJS.ErrnoException) => {
    if (e.code === "EADDRINUSE") resolve(false);
    else reject(e);
  };
  if (proto === "tcp") {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", onError(resolve, reject));
      // ipv6Only so that "::" probes v6 only, matching the allocator's rule
      // that the two families are independent.
      server.listen({ host: ip, port, ipv6Only: v6, exclusive: true }, () => server.close(() => resolve(true)));
    });
  }
  if (proto === "udp") {
    return new Promise((resolve, reject) => {
      const sock = createSocket({ type: v6 ? "udp6" : "udp4", ipv6Only: v6 });
      sock.once("error", onError(resolve, reject));
      sock.bind({ address: ip, port, exclusive: true }, () => sock.close(() => resolve(true)));
    });
  }
  return Promise.resolve(true);
}

export interface ProbedRequestOptions {
  /** Ephemeral ports to try before giving up when the ones handed out are busy on the host. Default 32. */
  attempts?: number;
}

/**
 * Allocates like allocator.requestPort, then checks the host with
 * isHostPortFree. A fixed port in use by another process is released and
 * reported ("port 8080/tcp on 0.0.0.0 is in use by another process"); for an
 * ephemeral request, busy ports are skipped (kept allocated while searching so
 * the cursor moves past them, then released).
 */
export async function requestProbedPort(
  allocator: PortAllocator,
  proto: PortProtocol,
  hostIP?: string,
  port = 0,
  opts: ProbedRequestOptions = {},
): Promise<number> {
  const ip = canonicalHostIP(hostIP);
  if (port !== 0) {
    allocator.requestPort(proto, ip, port);
    if (await isFreeOrRelease(allocator, proto, ip, port)) return port;
    throw new PortInUseError(proto, ip, port);
  }
  const busy: number[] = [];
  try {
    for (let i = 0; i < (opts.attempts ?? 32); i++) {
      const p = allocator.requestPort(proto, ip);
      if (await isHostPortFree(proto, ip, p).catch(release(allocator, proto, ip, p))) return p;
      busy.push(p);
    }
  } finally {
    for (const p of busy) allocator.releasePort(proto, ip, p);
  }
  throw new Error(`no free ${proto} port on ${ip}: the ${busy.length} ports tried are in use by other processes`);
}

async function isFreeOrRelease(allocator: PortAllocator, proto: PortProtocol, ip: string, port: number): Promise<boolean> {
  const free = await isHostPortFree(proto, ip, port).catch(release(allocator, proto, ip, port));
  if (!free) allocator.releasePort(proto, ip, port);
  return free;
}

/** A catch handler that undoes an allocation before rethrowing a probe error. */
function release(allocator: PortAllocator, proto: PortProtocol, ip: string, port: number) {
  return (e: unknown): never => {
    allocator.releasePort(proto, ip, port);
    throw e;
  };
}
