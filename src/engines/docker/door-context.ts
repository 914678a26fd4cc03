import type { Controller } from "../../controller/index.js";
import type { NetworkRecord } from "../../controllerapi/index.js";
import { formatIpValue, parseIpValue, prefixContainsIp, prefixToString, tryParsePrefix } from "../../inet/index.js";
import { InvalidParameterError, NotFoundError } from "../../errors.js";
import type { Logger } from "../../log/index.js";
import type { Bindings } from "./bindings.js";
import type { EngineClient } from "./engine-client.js";
import type { PoolRef } from "./pool-ids.js";

/** What the NetworkDriver and IpamDriver halves of the door share. */
export interface DoorContext {
  readonly controller: Controller;
  readonly bindings: Bindings;
  readonly log: Logger;
  /**
   * --ip-range of pools asked for networks still to be created, by family and
   * subnet: CreateNetwork carries the subnet but not the pool id that holds it.
   */
  readonly pendingRanges: Map<string, string>;
  /**
   * Pools of bound networks handed out without --subnet and not yet taken by
   * a CreateNetwork or given back. dockerd checks such a pool against the
   * host's routes and, when they overlap (a cnm bridge's subnet is routed on
   * the host), asks again while holding it, endlessly: a second ask is that.
   */
  readonly unconfirmedPools: Set<string>;
}

/** What the parts that follow dockerd's API share. */
export interface FollowContext {
  readonly controller: Controller;
  readonly docker: EngineClient;
  readonly bindings: Bindings;
  readonly log: Logger;
}

/** The key of pendingRanges. */
export function rangeKey(v6: boolean, pool: string): string {
  return `${v6 ? 6 : 4} ${pool}`;
}

/**
 * The cnm network a pool stands for: the bound one, or the one Docker's
 * CreateNetwork made on that subnet; undefined before CreateNetwork.
 */
export function networkOfPool(door: DoorContext, ref: PoolRef): NetworkRecord | undefined {
  if (ref.network) return door.controller.findNetwork(ref.network);
  for (const [, b] of door.bindings.entries()) {
    if (!b.created) continue;
    const net = door.controller.findNetwork(b.network);
    if (net && (ref.v6 ? net.ipv6 : net.ipv4).some((g) => g.pool === ref.pool)) return net;
  }
  return undefined;
}

/** A CIDR in canonical form (host bits cleared), or a clear error. */
export function canonicalSubnet(text: string): string {
  const p = tryParsePrefix(text);
  if (!p) throw new InvalidParameterError(`${text} is not a subnet in CIDR form`);
  return prefixToString(p);
}

/** The address with the pool's prefix length, checked to lie in the pool; default: the pool's first host. */
export function addressInPool(pool: string, address: string | undefined): string {
  const p = tryParsePrefix(pool);
  if (!p) throw new InvalidParameterError(`${pool} is not a subnet in CIDR form`);
  const ip = address === undefined ? { family: p.family, value: p.addr + 1n } : parseIpValue(address.split("/")[0]!);
  if (!ip || !prefixContainsIp(p, ip)) throw new InvalidParameterError(`address ${address} is not in subnet ${pool}`);
  return `${formatIpValue(ip)}/${p.bits}`;
}

/** The existing cnm network a Docker network names (`flag` says where: -o or --ipam-opt), or an error saying what to do. */
export function boundNetwork(door: DoorContext, ref: string, flag: string): NetworkRecord {
  try {
    return door.controller.network(ref);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    throw new NotFoundError(`cnm network ${ref} (${flag}) not found: create it with cnm first, or create it from Docker with -o cnm.driver=bridge|overlay|macvlan`);
  }
}
