import type { SandboxCreateRequest } from "../controllerapi/index.js";
import type { PortBinding, Protocol } from "../driverapi/index.js";
import { formatIpValue } from "../inet/index.js";
import { parseAddress } from "./addresses.js";
import { badRequest, printable } from "./http-errors.js";
import { checkDnsName, checkObjectName } from "./names.js";
import type { PortBindingBody, SandboxCreateBody } from "./schemas.js";

/**
 * Network modes a sandbox can be created in. As a container in Docker, a
 * sandbox created without one, or with "default" or "bridge", joins the
 * default bridge network; "none" makes a sandbox on no network (cnm's, unlike
 * Docker's, can be connected afterwards); "host" shares the host's stack.
 */
const NETWORK_MODES = ["", "default", "bridge", "none", "host"];

/** The sandbox to create, and whether it then joins the default bridge network. */
export interface SandboxCreatePlan {
  readonly request: SandboxCreateRequest;
  readonly joinDefaultBridge: boolean;
}

/**
 * Turns the sandbox create body into the controller's request. Every field
 * is checked here: names and domains end up in /etc/hosts and resolv.conf,
 * so nothing but DNS characters and IP addresses may reach those files.
 */
export function toSandboxCreatePlan(body: SandboxCreateBody): SandboxCreatePlan {
  const request = toSandboxCreateRequest(body);
  const mode = body.NetworkMode ?? "";
  return { request, joinDefaultBridge: mode === "" || mode === "default" || mode === "bridge" };
}

function toSandboxCreateRequest(body: SandboxCreateBody): SandboxCreateRequest {
  const name = checkObjectName("sandbox", body.Name);
  const mode = body.NetworkMode ?? "";
  if (!NETWORK_MODES.includes(mode)) {
    throw badRequest(
      `invalid NetworkMode "${printable(mode)}": a sandbox is created with "bridge" (the default), "none" or "host", then connected to networks`,
    );
  }
  const req: {
    -readonly [K in keyof SandboxCreateRequest]: SandboxCreateRequest[K];
  } = { name };
  if (body.Hostname) req.hostname = checkHostname(body.Hostname);
  if (body.Domainname) req.domainname = checkDnsName("Domainname", body.Domainname);
  if (body.Dns && body.Dns.length > 0) req.dns = body.Dns.map((d) => formatIpValue(parseAddress(d ?? "", "DNS server address")));
  if (body.DnsSearch && body.DnsSearch.length > 0) req.dnsSearch = body.DnsSearch.map((d) => checkDnsName("DnsSearch domain", d ?? ""));
  if (body.ExtraHosts && body.ExtraHosts.length > 0) req.extraHosts = body.ExtraHosts.map((h) => parseExtraHost(h ?? ""));
  const bindings = parsePortBindings(body.PortBindings ?? {});
  if (bindings.length > 0) req.portBindings = bindings;
  if (mode === "host") {
    if (bindings.length > 0) throw badRequest("PortBindings cannot be used with NetworkMode host: the sandbox already uses the host's ports");
    req.useHostNetwork = true;
  }
  return req;
}

/** A host name is one DNS label (Docker refuses dots in --hostname only on some versions; a label is safe everywhere). */
function checkHostname(h: string): string {
  if (h.length > 63) throw badRequest(`invalid Hostname "${printable(h)}": longer than 63 characters`);
  return checkDnsName("Hostname", h);
}

/** "name:ip" as in Docker's ExtraHosts; an IPv6 address keeps its colons (split at the first). */
function parseExtraHost(entry: string): { name: string; ip: string } {
  const sep = entry.indexOf(":");
  if (sep <= 0) throw badRequest(`invalid ExtraHosts entry "${printable(entry)}": expected name:ip`);
  const name = checkDnsName("ExtraHosts host name", entry.slice(0, sep));
  let ip = entry.slice(sep + 1);
  if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  return { name, ip: formatIpValue(parseAddress(ip, `ExtraHosts address for ${name}`)) };
}

const PROTOCOLS: readonly Protocol[] = ["tcp", "udp", "sctp"];

function parsePort(text: string, what: string, allowZero: boolean): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw badRequest(`invalid ${what} "${printable(text)}": not a port number`);
  const n = Number(text);
  if (n > 65535 || (n === 0 && !allowZero)) throw badRequest(`invalid ${what} "${printable(text)}": out of range ${allowZero ? 0 : 1}-65535`);
  return n;
}

/**
 * Docker's HostConfig.PortBindings: {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}.
 * An empty HostPort asks for an ephemeral port; "8000-8010" is a host range.
 */
export function parsePortBindings(spec: Readonly<Record<string, readonly (PortBindingBody | null | undefined)[] | null | undefined>>): PortBinding[] {
  const out: PortBinding[] = [];
  for (const [key, list] of Object.entries(spec)) {
    const m = /^([^/]+)(?:\/(.*))?$/.exec(key);
    const proto = (m?.[2] ?? "tcp").toLowerCase() as Protocol;
    if (!m || !PROTOCOLS.includes(proto)) throw badRequest(`invalid port "${printable(key)}": expected port[/tcp|udp|sctp]`);
    const containerPort = parsePort(m[1]!, "container port", false);
    // A key with no bindings is exposed but not published, as in Docker: nothing to bind.
    for (const entry of list ?? []) {
      const hostIp = entry?.HostIp ?? "";
      const hostPortText = entry?.HostPort ?? "";
      const binding: { proto: Protocol; containerPort: number; hostPort: number; hostIP?: string; hostPortEnd?: number } = {
        proto,
        containerPort,
        hostPort: 0,
      };
      if (hostIp !== "") {
        const ip = parseAddress(hostIp, `HostIp of ${key}`);
        binding.hostIP = formatIpValue(ip);
      }
      if (hostPortText !== "") {
        const [lo, hi, extra] = hostPortText.split("-");
        if (extra !== undefined) throw badRequest(`invalid HostPort "${printable(hostPortText)}" of ${key}`);
        binding.hostPort = parsePort(lo!, `HostPort of ${key}`, true);
        if (hi !== undefined) {
          const end = parsePort(hi, `HostPort of ${key}`, false);
          if (end < binding.hostPort || binding.hostPort === 0) throw badRequest(`invalid HostPort range "${printable(hostPortText)}" of ${key}`);
          if (end > binding.hostPort) binding.hostPortEnd = end;
        }
      }
      out.push(binding);
    }
  }
  return out;
}
