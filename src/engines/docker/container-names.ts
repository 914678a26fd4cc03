import { errorText } from "../../log/index.js";
import type { FollowContext } from "./door-context.js";
import { EngineApiError } from "./engine-client.js";

/**
 * Docker's plugin protocol never says which container an endpoint is for,
 * nor its name. dockerd's API does: each container's networks list their
 * endpoint ids and aliases. The names learnt here become the endpoint's name
 * record, on this host and, through the cluster's service table, on every
 * other, so a container on another host finds it by name.
 */
export class ContainerNames {
  constructor(private readonly follow: FollowContext) {}

  /** Every running container: after (re)connecting to dockerd, when events may have been missed. */
  async learnAll(): Promise<void> {
    for (const c of await this.follow.docker.listContainers()) await this.learn(c.Id);
  }

  /** One container's names, on each of its networks whose endpoint is cnm's. */
  async learn(containerId: string): Promise<void> {
    let container;
    try {
      container = await this.follow.docker.inspectContainer(containerId);
    } catch (err) {
      // Gone again already (a --rm container that ran briefly).
      if (err instanceof EngineApiError && err.status === 404) return;
      throw err;
    }
    const name = container.Name.replace(/^\//, "");
    for (const settings of Object.values(container.NetworkSettings.Networks)) {
      const view = this.follow.controller.endpoint(settings.EndpointID);
      if (!view?.endpoint.sandboxId) continue;
      const names = [...new Set([name, ...(settings.Aliases ?? [])])];
      const had = view.endpoint.engineNames ?? [];
      if (had.length === names.length && had.every((n, i) => n === names[i])) continue;
      try {
        await this.follow.controller.setEngineNames(settings.EndpointID, names);
      } catch (err) {
        this.follow.log.debug(`names of container ${name}: ${errorText(err)}`);
      }
    }
  }
}
