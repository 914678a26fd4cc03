import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Controller } from "../../controller/index.js";
import { errorText, quietLogger, type Logger } from "../../log/index.js";
import { servePluginCalls, type PluginServer } from "../../plugin-sdk/index.js";
import { Bindings } from "./bindings.js";
import type { DoorContext } from "./door-context.js";
import { ipamCalls } from "./ipam-calls.js";
import { networkCalls } from "./network-calls.js";
import { EngineClient } from "./engine-client.js";
import { followEngine } from "./engine-follower.js";

export interface DockerDoorOptions {
  readonly controller: Controller;
  /** Where dockerd finds the plugin: /run/docker/plugins/cnm.sock by default. */
  readonly socketPath: string;
  /** The file keeping Docker's network ids and the cnm networks they stand for (in cnmd's data root). */
  readonly bindingsPath: string;
  /** dockerd's API (unix:///var/run/docker.sock), followed for global networks, names and forgotten containers; absent: not followed. */
  readonly dockerHost?: string;
  readonly logger?: Logger;
}

/** cnmd serving dockerd: one socket, the NetworkDriver and IpamDriver halves of the plugin "cnm". */
export interface DockerDoor {
  readonly socketPath: string;
  close(): Promise<void>;
}

/**
 * Opens cnm to Docker's own daemon: dockerd finds the socket, activates the
 * plugin and calls both halves on the controller. Every call is logged at
 * debug, a failed one at warn with the answer dockerd shows the user.
 */
export async function openDockerDoor(options: DockerDoorOptions): Promise<DockerDoor> {
  const log = options.logger ?? quietLogger;
  const door: DoorContext = { controller: options.controller, bindings: new Bindings(options.bindingsPath), log, pendingRanges: new Map(), unconfirmedPools: new Set() };
  mkdirSync(dirname(options.socketPath), { recursive: true });
  const handlers = new Map([...networkCalls(door), ...ipamCalls(door)]);
  const server: PluginServer = await servePluginCalls({
    socketPath: options.socketPath,
    implements: ["NetworkDriver", "IpamDriver"],
    handlers,
    onCall: (method, error) => {
      if (error === undefined) log.debug(`docker plugin: ${method}`);
      else log.warn(`docker plugin: ${method} failed: ${errorText(error)}`);
    },
  });
  const follower = options.dockerHost
    ? followEngine({ controller: options.controller, docker: new EngineClient(options.dockerHost), bindings: door.bindings, log })
    : undefined;
  return {
    socketPath: server.socketPath,
    close: async () => {
      follower?.close();
      await server.close();
    },
  };
}
