import { InvalidParameterError } from "../../errors.js";
import { stringsOf, str, type PluginHandler } from "../../plugin-sdk/index.js";
import { addressInPool, boundNetwork, canonicalSubnet, networkOfPool, rangeKey, type DoorContext } from "./door-context.js";
import { ADDRESS_SPACES, DockerKeys, NETWORK_OPTION } from "./options.js";
import { decodePoolId, encodePoolId } from "./pool-ids.js";

type Json = Record<string, unknown>;

function optional(body: Json, field: string): string | undefined {
  const v = body[field];
  return typeof v === "string" && v !== "" ? v : undefined;
}

/**
 * Docker's IpamDriver calls, answered from cnm's IPAM. dockerd asks for pools
 * before it creates the network and for addresses before it creates the
 * endpoint; the pool id tells which cnm network (and subnet) each call is for.
 *
 * - A pool of a bound network (`--ipam-opt cnm.network=NAME`) is that
 *   network's; its gateway comes with the pool, as a plugin's gateway does.
 * - A pool for a network still to be created (`-o cnm.driver=...`) is only a
 *   subnet until CreateNetwork: the network's creation claims it, its gateway
 *   and aux addresses, and the network gives them back when it goes, so
 *   Docker's releases of them are no-ops.
 * - Container addresses are reserved in the network's own IPAM (the cluster's
 *   for a global network), and released when dockerd releases them.
 */
export function ipamCalls(door: DoorContext): Map<string, PluginHandler> {
  const c = door.controller;
  const calls: Record<string, PluginHandler> = {
    GetCapabilities: async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }),
    GetDefaultAddressSpaces: async () => ({ LocalDefaultAddressSpace: ADDRESS_SPACES.local, GlobalDefaultAddressSpace: ADDRESS_SPACES.global }),

    RequestPool: async (b) => {
      const v6 = b.V6 === true;
      const pool = optional(b, "Pool");
      const subPool = optional(b, "SubPool");
      const bound = stringsOf(b.Options)[NETWORK_OPTION];
      if (!bound) {
        const subnet = pool ? canonicalSubnet(pool) : await c.suggestSubnet(v6);
        if (subPool) door.pendingRanges.set(rangeKey(v6, subnet), canonicalSubnet(subPool));
        return { PoolID: encodePoolId({ pool: subnet, v6, ...(subPool ? { subPool: canonicalSubnet(subPool) } : {}) }), Pool: subnet, Data: {} };
      }
      const net = boundNetwork(door, bound, `--ipam-opt ${NETWORK_OPTION}`);
      const grants = v6 ? net.ipv6 : net.ipv4;
      if (grants.length === 0) throw new InvalidParameterError(`cnm network ${net.name} has no IPv${v6 ? 6 : 4} subnet`);
      if (subPool) throw new InvalidParameterError(`cnm network ${net.name} exists: its --ip-range is its own, set when it was created`);
      const wanted = pool ? canonicalSubnet(pool) : undefined;
      const grant = wanted ? grants.find((g) => g.pool === wanted) : grants[0];
      if (!grant) throw new InvalidParameterError(`cnm network ${net.name} has no subnet ${wanted}; its subnets are ${grants.map((g) => g.pool).join(", ")}`);
      const poolId = encodePoolId({ network: net.id, pool: grant.pool, v6 });
      if (!wanted) {
        if (door.unconfirmedPools.delete(poolId)) {
          throw new InvalidParameterError(
            `dockerd refuses subnet ${grant.pool} of cnm network ${net.name} because it is routed on this host; name it: --subnet ${grant.pool}`,
          );
        }
        door.unconfirmedPools.add(poolId);
      }
      return {
        PoolID: poolId,
        Pool: grant.pool,
        Data: grant.gateway ? { [DockerKeys.poolGateway]: grant.gateway } : {},
      };
    },

    ReleasePool: async (b) => {
      door.unconfirmedPools.delete(str(b, "PoolID"));
      return {};
    },

    RequestAddress: async (b) => {
      const ref = decodePoolId(str(b, "PoolID"));
      const preferred = optional(b, "Address");
      const gatewayRequest = stringsOf(b.Options)[DockerKeys.requestAddressType] === DockerKeys.gatewayRequest;
      const net = networkOfPool(door, ref);
      if (!net) {
        // Before CreateNetwork: the gateway or an aux address of a network to be created, claimed by its creation.
        if (!gatewayRequest && !preferred) throw new InvalidParameterError(`the cnm network for pool ${ref.pool} does not exist yet`);
        return { Address: addressInPool(ref.pool, preferred), Data: {} };
      }
      if (gatewayRequest) {
        const gateway = (ref.v6 ? net.ipv6 : net.ipv4).find((g) => g.pool === ref.pool)?.gateway;
        if (!gateway) throw new InvalidParameterError(`cnm network ${net.name} has no gateway in ${ref.pool}`);
        if (preferred && preferred.split("/")[0] !== gateway.split("/")[0]) {
          throw new InvalidParameterError(`the gateway of cnm network ${net.name} is ${gateway.split("/")[0]}, not ${preferred}`);
        }
        return { Address: gateway, Data: {} };
      }
      return { Address: await c.reserveAddress(net.id, { v6: ref.v6, ...(preferred ? { preferred } : {}) }), Data: {} };
    },

    ReleaseAddress: async (b) => {
      const ref = decodePoolId(str(b, "PoolID"));
      const net = networkOfPool(door, ref);
      // A network that is gone took its addresses with it.
      if (net) await c.releaseAddress(net.id, str(b, "Address"));
      return {};
    },
  };
  return new Map(Object.entries(calls).map(([name, h]) => [`IpamDriver.${name}`, h]));
}

