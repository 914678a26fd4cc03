import { errorText } from "../../log/index.js";
import type { FollowContext } from "./door-context.js";
import { EngineApiError } from "./engine-client.js";

/**
 * Removes the endpoints of containers dockerd no longer has. dockerd cleans up
 * through the plugin when it can; but a container that died while cnmd was
 * away, with dockerd restarted meanwhile, is forgotten by dockerd without a
 * word to cnm. An endpoint dockerd does not list on two passes in a row (so
 * never one being made right now) is deleted, and its addresses released, as
 * dockerd would have.
 */
export class EndpointReconciler {
  /** Endpoints missing from dockerd at the last pass. */
  private suspects = new Set<string>();

  constructor(private readonly follow: FollowContext) {}

  async pass(): Promise<void> {
    const known = new Set<string>();
    const bound = new Set<string>();
    for (const [dockerId, b] of this.follow.bindings.entries()) {
      bound.add(b.network);
      try {
        const net = await this.follow.docker.inspectNetwork(dockerId);
        for (const c of Object.values(net.Containers ?? {})) known.add(c.EndpointID);
      } catch (err) {
        if (!(err instanceof EngineApiError && err.status === 404)) throw err;
      }
    }
    const next = new Set<string>();
    for (const net of this.follow.controller.networks().filter((n) => bound.has(n.id))) {
      for (const { endpoint } of this.follow.controller.networkEndpoints(net.id)) {
        if (!endpoint.addressesHeldByEngine || known.has(endpoint.id)) continue;
        if (!this.suspects.has(endpoint.id)) {
          next.add(endpoint.id);
          continue;
        }
        try {
          await this.follow.controller.deleteEngineEndpoint(endpoint.id);
          for (const address of [endpoint.address, endpoint.addressIPv6]) if (address) await this.follow.controller.releaseAddress(net.id, address);
          this.follow.log.info(`removed endpoint ${endpoint.id.slice(0, 12)} (${endpoint.address ?? "no address"}) of network ${net.name}: its container is gone from dockerd`);
        } catch (err) {
          this.follow.log.warn(`endpoint ${endpoint.id.slice(0, 12)} of a container gone from dockerd: not removed yet: ${errorText(err)}`);
          next.add(endpoint.id);
        }
      }
    }
    this.suspects = next;
  }
}
