import type { NetworkRecord } from "../../controllerapi/index.js";
import { cidrAddress } from "../../inet/index.js";
import { errorText } from "../../log/index.js";
import type { FollowContext } from "./door-context.js";
import { EngineApiError, type NetworkCreateRequest } from "./engine-client.js";
import { NETWORK_OPTION, PLUGIN_NAME } from "./options.js";

/** The label that marks a Docker network cnmd brought to dockerd, with the cnm network's id. */
export const NETWORK_ID_LABEL = "cnm.network.id";

/**
 * Brings every global cnm network to this host's dockerd and takes it away
 * again: a network created once (with cnm, or with docker on any host)
 * appears in every host's `docker network ls`, with no per-host command.
 * Each host's dockerd gets a Docker network of the same name, bound to the
 * cnm network by its id. One pass looks at both sides; a failed step is
 * tried again at the next pass.
 */
export class NetworkSync {
  /** Names already reported as taken by another Docker network, so the log says it once. */
  private readonly reportedClashes = new Set<string>();
  /**
   * Bound Docker networks dockerd did not list at the last pass. A binding is
   * dropped only when its network is missing twice: CreateNetwork binds a
   * network before dockerd lists it, and a pass may fall in between.
   */
  private missing = new Set<string>();

  constructor(private readonly follow: FollowContext) {}

  async pass(): Promise<void> {
    const global = this.follow.controller.networks().filter((n) => n.scope === "global");
    const dockerNets = await this.follow.docker.listNetworks({ driver: [PLUGIN_NAME] });
    const dockerIds = new Set(dockerNets.map((n) => n.Id));
    // Docker networks removed while cnmd was away: dockerd told nobody.
    const missing = new Set<string>();
    for (const [dockerId] of this.follow.bindings.entries()) {
      if (dockerIds.has(dockerId)) continue;
      if (this.missing.has(dockerId)) this.follow.bindings.delete(dockerId);
      else missing.add(dockerId);
    }
    this.missing = missing;
    const bound = new Set(this.follow.bindings.entries().map(([, b]) => b.network));
    for (const n of dockerNets) {
      const id = n.Options?.[NETWORK_OPTION];
      if (id) bound.add(id);
    }
    for (const net of global) {
      if (bound.has(net.id) || bound.has(net.name)) continue;
      await this.bring(net);
    }
    const live = new Set(this.follow.controller.networks().map((n) => n.id));
    for (const [dockerId, b] of this.follow.bindings.entries()) {
      if (live.has(b.network)) continue;
      await this.takeAway(dockerId);
    }
  }

  private async bring(net: NetworkRecord): Promise<void> {
    const body: NetworkCreateRequest = {
      Name: net.name,
      CheckDuplicate: true,
      Driver: PLUGIN_NAME,
      Internal: net.internal,
      EnableIPv6: net.enableIPv6,
      IPAM: {
        Driver: PLUGIN_NAME,
        Config: [...net.ipv4, ...net.ipv6].map((g) => ({ Subnet: g.pool, ...(g.gateway ? { Gateway: cidrAddress(g.gateway) } : {}) })),
        Options: { [NETWORK_OPTION]: net.id },
      },
      Options: { [NETWORK_OPTION]: net.id },
      Labels: { [NETWORK_ID_LABEL]: net.id },
    };
    try {
      const { Id } = await this.follow.docker.createNetwork(body);
      this.follow.log.info(`brought cnm network ${net.name} to dockerd as Docker network ${Id.slice(0, 12)}`);
    } catch (err) {
      if (err instanceof EngineApiError && err.status === 409) {
        if (!this.reportedClashes.has(net.name)) this.follow.log.warn(`cnm network ${net.name} cannot appear in dockerd: ${err.engineMessage}`);
        this.reportedClashes.add(net.name);
        return;
      }
      throw err;
    }
  }

  /** The cnm network is gone: so goes the Docker network (dockerd refuses while containers use it; tried again later). */
  private async takeAway(dockerId: string): Promise<void> {
    try {
      // dockerd's DeleteNetwork call to the plugin unbinds it.
      await this.follow.docker.deleteNetwork(dockerId);
      this.follow.log.info(`removed Docker network ${dockerId.slice(0, 12)}: its cnm network is gone`);
    } catch (err) {
      if (err instanceof EngineApiError && err.status === 404) this.follow.bindings.delete(dockerId);
      else this.follow.log.debug(`Docker network ${dockerId.slice(0, 12)} stays for now: ${errorText(err)}`);
    }
  }
}
