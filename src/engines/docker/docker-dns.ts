import type { Controller } from "../../controller/index.js";
import { OWN_NETNS_PATH } from "../../linux/index.js";
import { errorText, type Logger } from "../../log/index.js";
import { startResolver, type EmbeddedResolver } from "../../resolver/index.js";

/**
 * Names across hosts for dockerd's containers. dockerd's embedded DNS answers
 * the names of its own containers and forwards every other one to the
 * daemon's --dns servers, from inside the container. cnmd answers there, on
 * an address of this host the containers reach (`dockerd --dns ADDR`), with
 * the names of every cnm network here, which the cluster's service table
 * fills from every host; the rest goes on to the host's own resolvers.
 */
export async function startDockerDns(controller: Controller, address: string, log: Logger): Promise<EmbeddedResolver> {
  const { records, upstreams } = controller.hostNameService();
  return startResolver({
    namespace: OWN_NETNS_PATH,
    listenAddress: address,
    records,
    // Never to itself, should the host's resolv.conf name this address.
    upstreams: upstreams.filter((u) => u.address !== address),
    onError: (err) => log.debug(`names for dockerd on ${address}: ${errorText(err)}`),
  });
}
