import { dnsNamesOf, type SandboxView } from "../controller/index.js";
import type { PortBinding } from "../driverapi/index.js";
import type { FastifyBaseLogger } from "fastify";
import { NotFoundError } from "../errors.js";
import type { ApiController } from "./backend.js";
import { rfc3339Nano } from "./network-view.js";

/** Docker's PortBinding in HostConfig and NetworkSettings.Ports. */
export interface DockerPortBinding {
  HostIp: string;
  HostPort: string;
}

/** One network of a sandbox, in the shape of Docker's EndpointSettings. */
export interface DockerSandboxEndpoint {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  Aliases: string[];
  DriverOpts: Record<string, string>;
  GwPriority: number;
  DNSNames: string[];
}

/** GET /sandboxes/{id}: the sandbox with its files, networks and the host ports actually bound. */
export interface DockerSandbox {
  Id: string;
  Name: string;
  Created: string;
  NetworkMode: string;
  Key: string;
  HostsPath: string;
  ResolvConfPath: string;
  Hostname: string;
  Domainname: string;
  Dns: string[];
  DnsSearch: string[];
  ExtraHosts: string[];
  PortBindings: Record<string, DockerPortBinding[]>;
  Networks: Record<string, DockerSandboxEndpoint>;
  /** Each requested port with the bindings in force (null while no network publishes it). */
  Ports: Record<string, DockerPortBinding[] | null>;
}

function splitCidr(cidr: string | undefined): { ip: string; bits: number } {
  if (!cidr) return { ip: "", bits: 0 };
  const slash = cidr.indexOf("/");
  return slash < 0 ? { ip: cidr, bits: 0 } : { ip: cidr.slice(0, slash), bits: Number(cidr.slice(slash + 1)) };
}

const portKey = (port: number, proto: string): string => `${port}/${proto}`;

function requestedBindings(bindings: readonly PortBinding[]): Record<string, DockerPortBinding[]> {
  const out: Record<string, DockerPortBinding[]> = {};
  for (const b of bindings) {
    const hostPort = b.hostPort === 0 ? "" : b.hostPortEnd ? `${b.hostPort}-${b.hostPortEnd}` : String(b.hostPort);
    (out[portKey(b.containerPort, b.proto)] ??= []).push({ HostIp: b.hostIP ?? "", HostPort: hostPort });
  }
  return out;
}

/** The port map drivers report in endpointOperInfo (Docker's netlabel.PortMap). */
interface OperPortMap {
  Proto: string;
  IP: string;
  Port: number;
  HostPort: number;
}

function isOperPortMap(v: unknown): v is OperPortMap {
  const m = v as Partial<OperPortMap> | null;
  return typeof m === "object" && m !== null && typeof m.Port === "number" && typeof m.HostPort === "number" && typeof m.Proto === "string";
}

/** The host ports in force: asked of each joined endpoint's driver, since only the driver knows the ephemeral ones. */
async function boundPorts(controller: ApiController, view: SandboxView, log: FastifyBaseLogger): Promise<Record<string, DockerPortBinding[] | null>> {
  const out: Record<string, DockerPortBinding[] | null> = {};
  for (const b of view.sandbox.portBindings) out[portKey(b.containerPort, b.proto)] = null;
  for (const { endpoint, network } of view.endpoints) {
    let info: Record<string, unknown>;
    try {
      info = await controller.endpointOperInfo(network.id, endpoint.id);
    } catch (err) {
      // Left the network meanwhile: no ports to show. Another failure (a plugin's) costs
      // this endpoint's ports in the view, not the whole inspect, and is logged.
      if (!(err instanceof NotFoundError)) log.warn({ err, sandbox: view.sandbox.id, endpoint: endpoint.id }, "the driver could not report the endpoint's host ports");
      continue;
    }
    const map = info["com.docker.network.portmap"];
    if (!Array.isArray(map)) continue;
    for (const m of map.filter(isOperPortMap)) {
      (out[portKey(m.Port, m.Proto)] ??= [])!.push({ HostIp: m.IP ?? "", HostPort: String(m.HostPort) });
    }
  }
  return out;
}

export async function sandboxView(controller: ApiController, view: SandboxView, log: FastifyBaseLogger): Promise<DockerSandbox> {
  const sb = view.sandbox;
  const networks: Record<string, DockerSandboxEndpoint> = {};
  for (const { endpoint: ep, network } of view.endpoints) {
    const v4 = splitCidr(ep.address);
    const v6 = splitCidr(ep.addressIPv6);
    networks[network.name] = {
      NetworkID: network.id,
      EndpointID: ep.id,
      Gateway: ep.join?.gateway ? splitCidr(ep.join.gateway).ip : "",
      IPAddress: v4.ip,
      IPPrefixLen: v4.bits,
      IPv6Gateway: ep.join?.gatewayIPv6 ? splitCidr(ep.join.gatewayIPv6).ip : "",
      GlobalIPv6Address: v6.ip,
      GlobalIPv6PrefixLen: v6.bits,
      MacAddress: ep.mac ?? "",
      Aliases: [...ep.aliases],
      DriverOpts: { ...ep.driverOpts },
      GwPriority: ep.join?.priority ?? 0,
      // The names the embedded DNS answers for this endpoint; none on networks without it (the default bridge).
      DNSNames: dnsNamesOf(sb, ep, network),
    };
  }
  return {
    Id: sb.id,
    Name: sb.name,
    Created: rfc3339Nano(sb.created),
    NetworkMode: sb.useHostNetwork ? "host" : "default",
    Key: sb.key,
    HostsPath: view.hostsPath,
    ResolvConfPath: view.resolvConfPath,
    Hostname: sb.hostname,
    Domainname: sb.domainname,
    Dns: [...sb.dns],
    DnsSearch: [...sb.dnsSearch],
    ExtraHosts: sb.extraHosts.map((h) => `${h.name}:${h.ip}`),
    PortBindings: requestedBindings(sb.portBindings),
    Networks: networks,
    Ports: await boundPorts(controller, view, log),
  };
}
