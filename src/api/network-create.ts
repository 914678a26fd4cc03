import type { IpamConfig } from "../controllerapi/index.js";
import type { NetworkCreateRequest } from "../controllerapi/index.js";
import { type IpValue, type Prefix, prefixContainsIp, prefixesOverlap, prefixToString } from "../inet/index.js";
import { parseAddress, parseCidr } from "./addresses.js";
import { parseGoBool } from "./filters.js";
import { badRequest, forbidden, notFound, printable } from "./http-errors.js";
import { checkObjectName } from "./names.js";
import type { IpamConfigBody, NetworkCreateBody } from "./schemas.js";

/** Names Docker reserves for its own networks: never created through the API, never removed or pruned. */
export const PREDEFINED_NETWORKS: readonly string[] = ["bridge", "host", "none", "default"];

/** What may name a driver or a plugin (Docker's plugin references, e.g. "vendor/name:tag"). */
const PLUGIN_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.:/-]{0,127}$/;
const ENABLE_IPV4_OPTION = "com.docker.network.enable_ipv4";
const ENABLE_IPV6_OPTION = "com.docker.network.enable_ipv6";

export interface CreateContext {
  /** False for API versions before 1.48, which had no EnableIPv4 (Docker ignores it there). */
  readonly honourEnableIPv4: boolean;
}

/**
 * Turns Docker's create request into the controller's, refusing what cnm
 * cannot do (ingress, config-only networks, other scopes, IPv6-only) and
 * checking the IPAM config as Docker's validateIpamConfig does: canonical
 * subnets, ranges and gateways inside their subnet and of its family.
 */
export function toNetworkCreateRequest(body: NetworkCreateBody, ctx: CreateContext): NetworkCreateRequest {
  const name = checkObjectName("network", body.Name);
  if (PREDEFINED_NETWORKS.includes(name)) throw forbidden(`operation is not permitted on predefined ${name} network`);
  const driver = body.Driver || "bridge";
  // Any other name may be a plugin: the controller looks it up and answers 404 when there is none.
  if (!PLUGIN_NAME.test(driver)) throw notFound(`plugin "${printable(driver)}" not found`);
  if (body.Scope && body.Scope !== "local") {
    throw badRequest(`invalid scope "${printable(body.Scope)}": cnm networks are local to this host (scope "local")`);
  }
  if (body.Ingress) throw badRequest("cnm does not support ingress networks (they belong to swarm's routing mesh)");
  if (body.ConfigOnly) throw badRequest("cnm does not support config-only networks");
  if (body.ConfigFrom?.Network) throw badRequest("cnm does not support creating a network from a config-only network (ConfigFrom)");

  const options = checkStringMap("Options", body.Options);
  const labels = checkStringMap("Labels", body.Labels);
  const ipamOptions = checkStringMap("IPAM.Options", body.IPAM?.Options);
  const enableIPv4 = ctx.honourEnableIPv4 ? (body.EnableIPv4 ?? optionBool(options, ENABLE_IPV4_OPTION)) : optionBool(options, ENABLE_IPV4_OPTION);
  if (enableIPv4 === false) throw badRequest("cnm does not support IPv6-only networks: EnableIPv4 must be true");
  const enableIPv6 = body.EnableIPv6 ?? optionBool(options, ENABLE_IPV6_OPTION) ?? false;

  const ipamDriver = body.IPAM?.Driver || "default";
  if (!PLUGIN_NAME.test(ipamDriver)) throw notFound(`plugin "${printable(ipamDriver)}" not found`);
  const config = checkIpamConfigs(body.IPAM?.Config ?? []);

  return {
    name,
    driver,
    ipam: { driver: ipamDriver, config, options: ipamOptions },
    enableIPv6,
    internal: body.Internal ?? false,
    attachable: body.Attachable ?? false,
    options,
    labels,
  };
}

function optionBool(options: Record<string, string>, key: string): boolean | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  try {
    return parseGoBool(v, key);
  } catch {
    throw badRequest(`driver-opt "${key}" is not a valid bool`);
  }
}

/** Keys of labels and options: non-empty, bounded, no control characters. Values are free text. */
export function checkStringMap(field: string, m: Readonly<Record<string, string>> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) {
    if (k.length === 0) throw badRequest(`invalid ${field}: a key must not be empty`);
    if (k.length > 256 || /[\u0000-\u001f\u007f]/.test(k)) throw badRequest(`invalid ${field} key "${printable(k)}"`);
    if (v.length > 65536) throw badRequest(`invalid ${field} value of "${printable(k)}": longer than 65536 characters`);
    out[k] = v;
  }
  return out;
}

function checkIpamConfigs(entries: readonly (IpamConfigBody | null | undefined)[]): IpamConfig[] {
  const seen: Prefix[] = [];
  return entries.map((entry) => {
    const e = entry ?? {};
    const out: { subnet?: string; ipRange?: string; gateway?: string; auxAddresses?: Record<string, string> } = {};
    const aux = checkStringMap("IPAM.Config.AuxiliaryAddresses", e.AuxiliaryAddresses);
    if (!e.Subnet) {
      if (e.IPRange || e.Gateway || Object.keys(aux).length > 0) {
        throw badRequest("invalid network config: an ip-range, gateway or auxiliary address needs a subnet");
      }
      return out;
    }
    const subnet = parseCidr(e.Subnet, "subnet", true).prefix;
    if (seen.some((p) => prefixesOverlap(p, subnet))) throw badRequest("multiple overlapping subnet configuration is not supported");
    seen.push(subnet);
    out.subnet = prefixToString(subnet);
    if (e.IPRange) {
      const range = parseCidr(e.IPRange, "ip-range", true).prefix;
      if (range.family !== subnet.family) throw badRequest(`invalid ip-range ${printable(e.IPRange)}: parent subnet is an IPv${subnet.family} block`);
      if (range.bits < subnet.bits) {
        throw badRequest(`invalid ip-range ${printable(e.IPRange)}: CIDR block is bigger than its parent subnet ${out.subnet}`);
      }
      if (!prefixesOverlap(subnet, range)) {
        throw badRequest(`invalid ip-range ${printable(e.IPRange)}: parent subnet ${out.subnet} doesn't contain ip-range`);
      }
      out.ipRange = prefixToString(range);
    }
    if (e.Gateway) {
      checkInSubnet(parseAddress(e.Gateway, "gateway"), subnet, `gateway ${printable(e.Gateway)}`);
      out.gateway = e.Gateway;
    }
    for (const [auxName, ip] of Object.entries(aux)) {
      checkInSubnet(parseAddress(ip, `auxiliary address ${printable(auxName)}`), subnet, `auxiliary address ${printable(auxName)}`);
    }
    if (Object.keys(aux).length > 0) out.auxAddresses = aux;
    return out;
  });
}

function checkInSubnet(ip: IpValue, subnet: Prefix, what: string): void {
  if (ip.family !== subnet.family) throw badRequest(`invalid ${what}: parent subnet is an IPv${subnet.family} block`);
  if (!prefixContainsIp(subnet, ip)) throw badRequest(`invalid ${what}: parent subnet ${prefixToString(subnet)} doesn't contain this address`);
}
