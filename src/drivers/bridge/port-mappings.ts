import { isIPv6 } from "node:net";
import type { PortBinding } from "../../driverapi/index.js";
import { ExhaustedError, InvalidParameterError, ConflictError } from "../../errors.js";
import type { PortMapping } from "../../linux/nftables/index.js";
import { PortAlreadyAllocatedError, PortInUseError, PortsExhaustedError, requestProbedPort, type PortAllocator } from "../../portallocator/index.js";

/** Where the endpoint's published ports go: its addresses on the network. */
export interface MappingTarget {
  readonly networkId: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
  /** Host address used when a binding names none (the network's host_binding_ipv4). */
  readonly defaultHostIPv4: string;
}

function isUnspecified(ip: string | undefined): boolean {
  return ip === undefined || ip === "" || ip === "0.0.0.0" || ip === "::";
}

/**
 * Allocates host ports for the bindings and turns them into firewall
 * mappings. All or nothing: ports taken before a failure are released.
 * A binding on an unspecified host address maps IPv4 and, when the endpoint
 * has one, IPv6 on the same host port, as Docker does.
 */
export async function allocateMappings(
  ports: PortAllocator,
  target: MappingTarget,
  bindings: readonly PortBinding[],
): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  try {
    for (const b of bindings) {
      if (b.proto !== "tcp" && b.proto !== "udp") throw new InvalidParameterError(`publishing ${b.proto} ports is not supported (tcp and udp are)`);
      const hostIP = isUnspecified(b.hostIP) ? (isIPv6(b.hostIP ?? "") ? "::" : target.defaultHostIPv4) : b.hostIP!;
      const v6Host = isIPv6(hostIP);
      const containerIP = v6Host ? target.ipv6 : target.ipv4;
      if (!containerIP) throw new InvalidParameterError(`cannot publish ${b.containerPort}/${b.proto} on ${hostIP}: the endpoint has no IPv${v6Host ? 6 : 4} address`);
      const hostPort = await allocateHostPort(ports, b, hostIP);
      out.push({ networkId: target.networkId, proto: b.proto, hostIP, hostPort, containerIP, containerPort: b.containerPort });
      if (!v6Host && isUnspecified(b.hostIP) && target.ipv6 && target.defaultHostIPv4 === "0.0.0.0") {
        ports.requestPort(b.proto, "::", hostPort);
        out.push({ networkId: target.networkId, proto: b.proto, hostIP: "::", hostPort, containerIP: target.ipv6, containerPort: b.containerPort });
      }
    }
    return out;
  } catch (err) {
    releaseMappings(ports, out);
    throw err;
  }
}

async function allocateHostPort(ports: PortAllocator, b: PortBinding, hostIP: string): Promise<number> {
  const first = b.hostPort;
  const last = b.hostPortEnd ?? b.hostPort;
  if (first === 0) return translate(() => requestProbedPort(ports, b.proto as "tcp" | "udp", hostIP, 0));
  let lastError: unknown;
  for (let p = first; p <= last; p++) {
    try {
      return await translate(() => requestProbedPort(ports, b.proto as "tcp" | "udp", hostIP, p));
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** Port errors as the API reports them: a taken port is a conflict, an empty range is exhaustion. */
async function translate(request: () => Promise<number>): Promise<number> {
  try {
    return await request();
  } catch (err) {
    if (err instanceof PortAlreadyAllocatedError || err instanceof PortInUseError) {
      throw new ConflictError(`failed to bind host port: ${(err as Error).message}`, { cause: err });
    }
    if (err instanceof PortsExhaustedError) throw new ExhaustedError(err.message, { cause: err });
    throw err;
  }
}

export function releaseMappings(ports: PortAllocator, mappings: readonly PortMapping[]): void {
  for (const m of mappings) ports.releasePort(m.proto, m.hostIP, m.hostPort);
}
