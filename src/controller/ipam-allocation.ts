import type { Ipam } from "../ipamapi/index.js";
import type { IpamConfig, IpamGrant } from "../controllerapi/index.js";
import type { Logger } from "../log/index.js";
import { bestEffort } from "./best-effort.js";
import { InvalidParameterError } from "../errors.js";
import { GatewayAddressType } from "../ipamapi/labels.js";
import { cidrAddress, parseIpValue, prefixContainsIp, tryParsePrefix } from "../inet/index.js";

/** IPAM option that marks an address request as the network's gateway (Docker's key and value). */
export const GATEWAY_REQUEST = { RequestAddressType: "com.docker.network.gateway" } as const;

/**
 * Obtains a pool (and its gateway and aux addresses) for each config of one
 * address family. All or nothing: on any failure everything granted so far is
 * released before the error is rethrown.
 */
export async function allocatePools(
  log: Logger,
  ipam: Ipam,
  addressSpace: string,
  configs: readonly IpamConfig[],
  v6: boolean,
  options: Readonly<Record<string, string>>,
  needsGateway: boolean,
): Promise<IpamGrant[]> {
  const grants: IpamGrant[] = [];
  try {
    // No config means one pool of IPAM's choosing, as Docker does.
    const wanted = configs.length > 0 ? configs : [{}];
    for (const cfg of wanted) grants.push(await allocateOne(log, ipam, addressSpace, cfg, v6, options, needsGateway));
    return grants;
  } catch (err) {
    await releasePools(log, ipam, grants);
    throw err;
  }
}

async function allocateOne(
  log: Logger,
  ipam: Ipam,
  addressSpace: string,
  cfg: IpamConfig,
  v6: boolean,
  options: Readonly<Record<string, string>>,
  needsGateway: boolean,
): Promise<IpamGrant> {
  if (cfg.ipRange && !cfg.subnet) throw new InvalidParameterError(`ip-range ${cfg.ipRange} needs a subnet`);
  if (cfg.gateway && !cfg.subnet) throw new InvalidParameterError(`gateway ${cfg.gateway} needs a subnet`);
  const pool = await ipam.requestPool({
    addressSpace,
    ...(cfg.subnet ? { pool: cfg.subnet } : {}),
    ...(cfg.ipRange ? { subPool: cfg.ipRange } : {}),
    options,
    v6,
  });
  const granted: { gateway?: string; aux: Record<string, string> } = { aux: {} };
  // As libnetwork: a gateway the driver names with the pool is used unless the user gave one.
  const poolGateway = cfg.gateway ? undefined : gatewayOfPool(pool.meta, pool.pool);
  try {
    if (poolGateway === undefined && (needsGateway || cfg.gateway)) {
      const gw = await ipam.requestAddress(pool.poolId, cfg.gateway, GATEWAY_REQUEST);
      granted.gateway = gw.address;
    }
    for (const [name, ip] of Object.entries(cfg.auxAddresses ?? {})) {
      const aux = await ipam.requestAddress(pool.poolId, ip);
      granted.aux[name] = aux.address;
    }
  } catch (err) {
    const undoing = `undoing pool ${pool.pool}: releasing`;
    for (const address of Object.values(granted.aux)) await bestEffort(log, `${undoing} aux address ${address}`, () => ipam.releaseAddress(pool.poolId, address));
    const gateway = granted.gateway;
    if (gateway) await bestEffort(log, `${undoing} gateway ${gateway}`, () => ipam.releaseAddress(pool.poolId, gateway));
    await bestEffort(log, `${undoing} the pool`, () => ipam.releasePool(pool.poolId));
    throw err;
  }
  return {
    poolId: pool.poolId,
    pool: pool.pool,
    ...(granted.gateway ? { gateway: granted.gateway } : {}),
    ...(poolGateway !== undefined ? { gateway: poolGateway, gatewayFromPool: true } : {}),
    auxAddresses: granted.aux,
  };
}

/** The gateway in a pool's data (Docker's com.docker.network.gateway), with the pool's prefix length. */
function gatewayOfPool(meta: Readonly<Record<string, string>>, pool: string): string | undefined {
  const value = meta[GatewayAddressType];
  if (!value) return undefined;
  const ip = cidrAddress(value);
  const prefix = tryParsePrefix(pool);
  const address = parseIpValue(ip);
  if (!prefix || !address || !prefixContainsIp(prefix, address)) {
    throw new InvalidParameterError(`the IPAM driver's gateway ${value} is not in its pool ${pool}`);
  }
  return `${ip}/${pool.split("/")[1]}`;
}

/** Returns every address and pool of the grants to IPAM; best effort, as in libnetwork's ipamRelease. */
export async function releasePools(log: Logger, ipam: Ipam, grants: readonly IpamGrant[]): Promise<void> {
  for (const g of grants) {
    for (const address of Object.values(g.auxAddresses)) await bestEffort(log, `releasing aux address ${address} of pool ${g.pool}`, () => ipam.releaseAddress(g.poolId, address));
    const gateway = g.gatewayFromPool ? undefined : g.gateway;
    if (gateway) await bestEffort(log, `releasing gateway ${gateway} of pool ${g.pool}`, () => ipam.releaseAddress(g.poolId, gateway));
    await bestEffort(log, `releasing pool ${g.pool}`, () => ipam.releasePool(g.poolId));
  }
}

/**
 * The grant whose pool holds the address (bare or CIDR), and the address with
 * that pool's prefix length; undefined when no pool holds it.
 */
export function grantHolding(grants: readonly IpamGrant[], address: string): { grant: IpamGrant; cidr: string } | undefined {
  const ip = parseIpValue(cidrAddress(address));
  if (!ip) return undefined;
  for (const grant of grants) {
    const prefix = tryParsePrefix(grant.pool);
    if (prefix && prefixContainsIp(prefix, ip)) return { grant, cidr: `${cidrAddress(address)}/${grant.pool.split("/")[1]}` };
  }
  return undefined;
}
