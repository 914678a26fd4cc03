import type { IpamConfig, NetworkRecord } from "../../controllerapi/index.js";
import { InvalidParameterError, NotFoundError } from "../../errors.js";
import { cidrAddress } from "../../inet/index.js";
import { endpointOptionsOf, stringsOf, str, type PluginHandler } from "../../plugin-sdk/index.js";
import { boundNetwork, canonicalSubnet, rangeKey, type DoorContext } from "./door-context.js";
import { decodePoolId } from "./pool-ids.js";
import { CREATABLE_DRIVERS, DockerKeys, DRIVER_OPTION, ENGINE, NETWORK_OPTION, splitOptions } from "./options.js";

type Json = Record<string, unknown>;

/** Docker's IPAMData of CreateNetwork, for one family. */
function ipamConfigsOf(door: DoorContext, value: unknown, v6: boolean): IpamConfig[] {
  if (!Array.isArray(value)) return [];
  return (value as Json[]).map((d) => withRange(door, v6, {
    subnet: canonicalSubnet(str(d, "Pool")),
    ...(typeof d.Gateway === "string" && d.Gateway !== "" ? { gateway: cidrAddress(d.Gateway) } : {}),
    ...(typeof d.AuxAddresses === "object" && d.AuxAddresses !== null
      ? { auxAddresses: Object.fromEntries(Object.entries(stringsOf(d.AuxAddresses)).map(([k, v]) => [k, cidrAddress(v)])) }
      : {}),
  }));
}

/** The --ip-range the IPAM half heard for this subnet, taken once. */
function withRange(door: DoorContext, v6: boolean, cfg: IpamConfig & { subnet: string }): IpamConfig {
  const key = rangeKey(v6, cfg.subnet);
  const ipRange = door.pendingRanges.get(key);
  door.pendingRanges.delete(key);
  return ipRange ? { ...cfg, ipRange } : cfg;
}

/**
 * Docker's NetworkDriver calls, made on cnm's controller. A Docker network
 * is bound to a cnm network (made here with `-o cnm.driver`, or named with
 * `-o cnm.network`); Docker's endpoint ids are cnm's, so a container's
 * endpoint is found by the id dockerd gives, across cnmd restarts.
 */
export function networkCalls(door: DoorContext): Map<string, PluginHandler> {
  const c = door.controller;
  const endpointId = (b: Json) => str(b, "EndpointID");
  const calls: Record<string, PluginHandler> = {
    // Local: dockerd 20.10 refuses a global-scope plugin network without swarm or a cluster store.
    // Reaching other hosts is cnm's business, not dockerd's.
    GetCapabilities: async () => ({ Scope: "local", ConnectivityScope: "local" }),

    CreateNetwork: async (b) => {
      const dockerId = str(b, "NetworkID");
      const options = (typeof b.Options === "object" && b.Options !== null ? b.Options : {}) as Json;
      const { network, driver, driverOpts } = splitOptions(stringsOf(options[DockerKeys.generic]));
      const ipv4 = ipamConfigsOf(door, b.IPv4Data, false);
      const ipv6 = ipamConfigsOf(door, b.IPv6Data, true);
      if (driver) {
        if (!(CREATABLE_DRIVERS as readonly string[]).includes(driver)) {
          throw new InvalidParameterError(`-o ${DRIVER_OPTION}=${driver}: cnm creates networks of the drivers ${CREATABLE_DRIVERS.join(", ")} for Docker`);
        }
        // dockerd never tells a plugin the network's name; a network every host's dockerd lists needs one they share.
        if (driver === "overlay" && !network) {
          throw new InvalidParameterError(`an overlay reaches every host under one name: add -o ${NETWORK_OPTION}=NAME (the Docker network's name, for the other hosts' dockerd)`);
        }
        const net = await c.createNetwork({
          name: network ?? `docker-${dockerId.slice(0, 12)}`,
          id: dockerId,
          driver,
          ipam: { driver: "default", config: [...ipv4, ...ipv6] },
          enableIPv6: options[DockerKeys.enableIPv6] === true,
          internal: options[DockerKeys.internal] === true,
          options: driverOpts,
          labels: { "com.docker.network.id": dockerId },
        });
        door.bindings.set(dockerId, { network: net.id, created: true });
        return {};
      }
      if (!network) {
        throw new InvalidParameterError(
          `a Docker network on cnm needs -o ${NETWORK_OPTION}=NAME (an existing cnm network) or -o ${DRIVER_OPTION}=bridge|overlay|macvlan (a new one)`,
        );
      }
      const net = boundNetwork(door, network, `-o ${NETWORK_OPTION}`);
      checkSamePools(net, ipv4, ipv6);
      for (const id of [...door.unconfirmedPools]) if (decodePoolId(id).network === net.id) door.unconfirmedPools.delete(id);
      door.bindings.set(dockerId, { network: net.id, created: false });
      return {};
    },

    DeleteNetwork: async (b) => {
      const dockerId = str(b, "NetworkID");
      const binding = door.bindings.get(dockerId);
      if (binding?.created && c.findNetwork(binding.network)) await c.deleteNetwork(binding.network);
      door.bindings.delete(dockerId);
      return {};
    },

    CreateEndpoint: async (b) => {
      const net = networkOf(door, str(b, "NetworkID"));
      const eid = endpointId(b);
      const iface = (typeof b.Interface === "object" && b.Interface !== null ? b.Interface : {}) as Json;
      const given = (field: string) => (typeof iface[field] === "string" && iface[field] !== "" ? (iface[field] as string) : undefined);
      const mac = given("MacAddress");
      const { portBindings, driverOpts } = endpointOptionsOf(b.Options);
      const view = await c.createEngineEndpoint(net.id, {
        id: eid,
        name: `${ENGINE}-${eid.slice(0, 12)}`,
        ...(given("Address") ? { ipv4Address: given("Address")! } : {}),
        ...(given("AddressIPv6") ? { ipv6Address: given("AddressIPv6")! } : {}),
        ...(mac ? { macAddress: mac } : {}),
        portBindings,
        driverOpts,
      });
      // Only what dockerd left empty may be answered; the driver chose the MAC.
      return !mac && view.endpoint.mac ? { Interface: { MacAddress: view.endpoint.mac } } : {};
    },

    DeleteEndpoint: async (b) => {
      if (c.endpoint(endpointId(b))) await c.deleteEngineEndpoint(endpointId(b));
      return {};
    },

    EndpointOperInfo: async () => ({ Value: {} }),

    Join: async (b) => {
      const answer = await c.engineJoin(endpointId(b), { engine: ENGINE, sandboxKey: str(b, "SandboxKey") });
      return {
        InterfaceName: { SrcName: answer.srcName, DstPrefix: answer.dstPrefix },
        ...(answer.gateway ? { Gateway: answer.gateway } : {}),
        ...(answer.gatewayIPv6 ? { GatewayIPv6: answer.gatewayIPv6 } : {}),
        StaticRoutes: answer.staticRoutes.map((r) => ({ Destination: r.destination, RouteType: r.routeType, ...(r.nextHop ? { NextHop: r.nextHop } : {}) })),
        DisableGatewayService: answer.disableGatewayService,
      };
    },

    Leave: async (b) => {
      if (c.endpoint(endpointId(b))?.endpoint.sandboxId) await c.engineLeave(endpointId(b));
      return {};
    },

    ProgramExternalConnectivity: async (b) => (await c.programEngineConnectivity(endpointId(b)), {}),
    RevokeExternalConnectivity: async (b) => {
      if (c.endpoint(endpointId(b))) await c.revokeEngineConnectivity(endpointId(b));
      return {};
    },

    // Sent only with swarm or a cluster store; cnm's cluster has its own discovery.
    DiscoverNew: async () => ({}),
    DiscoverDelete: async () => ({}),
  };
  return new Map(Object.entries(calls).map(([name, h]) => [`NetworkDriver.${name}`, h]));
}

function networkOf(door: DoorContext, dockerId: string): NetworkRecord {
  const binding = door.bindings.get(dockerId);
  const net = binding && door.controller.findNetwork(binding.network);
  if (!net) throw new NotFoundError(`Docker network ${dockerId.slice(0, 12)} is bound to no cnm network (was it removed from cnm?)`);
  return net;
}


/** A bound network's addresses must come from cnm's IPAM on that network: Docker's pools must be its pools. */
function checkSamePools(net: NetworkRecord, ipv4: readonly IpamConfig[], ipv6: readonly IpamConfig[]): void {
  const own = new Set([...net.ipv4, ...net.ipv6].map((g) => g.pool));
  for (const cfg of [...ipv4, ...ipv6]) {
    if (!own.has(cfg.subnet!)) {
      throw new InvalidParameterError(
        `subnet ${cfg.subnet} is not one of cnm network ${net.name}'s (${[...own].join(", ")}): use --ipam-driver cnm --ipam-opt ${NETWORK_OPTION}=${net.name}`,
      );
    }
  }
}
