import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createApiServer, fastifyLogger, type ApiServer } from "../api/index.js";
import type { Controller } from "../controller/index.js";
import { createLinuxController } from "../linux-controller.js";
import { SqliteStateStore } from "../store/sqlite-store.js";
import type { DaemonConfig } from "./config.js";
import { acquireLock } from "./lock.js";
import { errorText, type Logger } from "../log/index.js";
import { startCluster, type ClusterRuntime } from "./cluster.js";
import { openDockerDoor, startDockerDns, type DockerDoor } from "../engines/docker/index.js";

export interface Daemon {
  readonly controller: Controller;
  readonly api: ApiServer;
  /** Stops serving and lets go of sockets and files; networks and sandboxes stay up (live restore). */
  stop(): Promise<void>;
}

/** Docker's predefined networks, made on first start: none, host, and the default bridge. */
async function ensurePredefinedNetworks(c: Controller, prefix: string, log: Logger): Promise<void> {
  const have = new Set(c.networks().map((n) => n.name));
  if (!have.has("none")) await c.createNetwork({ name: "none", driver: "null" });
  if (!have.has("host")) await c.createNetwork({ name: "host", driver: "host" });
  if (!have.has("bridge")) {
    const net = await c.createNetwork({
      name: "bridge",
      options: { "com.docker.network.bridge.name": `${prefix}0`, "com.docker.network.bridge.default_bridge": "true" },
    });
    log.info(`created the default bridge network on ${net.ipv4[0]?.pool} (bridge ${prefix}0)`);
  }
}

/** cnmd --purge: everything this data root made, gone; then the data root. */
export async function purgeDaemon(config: DaemonConfig, log: Logger): Promise<void> {
  mkdirSync(config.dataRoot, { recursive: true, mode: 0o700 });
  const releaseLock = acquireLock(join(config.dataRoot, "cnmd.lock"));
  const store = new SqliteStateStore(join(config.dataRoot, "state.db"));
  try {
    const c = await createLinuxController({ prefix: config.prefix, runDir: join(config.dataRoot, "run"), store, logger: log, watchFirewall: false, ...(config.pluginDirs ? { pluginDirs: config.pluginDirs } : {}) });
    const counts = `${c.networks().length} networks and ${c.sandboxes().length} sandboxes`;
    await c.destroyAll();
    await c.close();
    log.info(`purged ${counts} (prefix ${config.prefix})`);
  } finally {
    store.close();
    releaseLock();
  }
  rmSync(config.dataRoot, { recursive: true, force: true });
}

export async function startDaemon(config: DaemonConfig, log: Logger): Promise<Daemon> {
  mkdirSync(config.dataRoot, { recursive: true, mode: 0o700 });
  const releaseLock = acquireLock(join(config.dataRoot, "cnmd.lock"));
  const store = new SqliteStateStore(join(config.dataRoot, "state.db"));
  let controller: Controller | undefined;
  let cluster: ClusterRuntime | undefined;
  let door: DockerDoor | undefined;
  let dockerDns: { close(): Promise<void> } | undefined;
  try {
    if (config.cluster) {
      cluster = await startCluster(config.cluster, log);
      log.info(`cluster: store ${config.cluster.store}, node ${config.cluster.nodeName} on ${config.cluster.advertiseAddr}:${config.cluster.port}`);
    }
    controller = await createLinuxController({
      prefix: config.prefix,
      runDir: join(config.dataRoot, "run"),
      store,
      ...(config.pluginDirs ? { pluginDirs: config.pluginDirs } : {}),
      ...(cluster && config.cluster
        ? {
            agent: cluster.agent,
            globalStore: cluster.globalStore,
            globalIpam: cluster.globalIpam,
            vxlanIdPool: cluster.vxlanIds,
            nodeName: config.cluster.nodeName,
            selfNode: { address: config.cluster.advertiseAddr, bindAddress: config.cluster.bindAddr },
          }
        : {}),
      onRestore: (r) => {
        log.info(`restored ${r.networks} networks, ${r.endpoints} endpoints, ${r.sandboxes} sandboxes (${r.kept} joins kept, ${r.rebuilt} rebuilt, ${r.removed} interrupted connects undone)`);
        for (const f of r.failed) log.warn(`not restored: ${f}`);
      },
      // The controller's best-effort steps, and its embedded DNS (a resolver that cannot start at warn;
      // upstreams that fail are routine, each forwarded query may meet one: debug, as Docker logs them).
      logger: log,
      onFirewallEvent: (e) => {
        if (e.kind === "restored") log.warn(`firewall rules put back: ${e.reason}`);
        else if (e.kind === "repair-failed") log.error(`firewall repair failed: ${e.reason}: ${e.error.message}`);
        else log.debug(e.message);
      },
    });
    await ensurePredefinedNetworks(controller, config.prefix, log);
    await cluster?.attach(controller);
    const api = createApiServer(controller, { logger: fastifyLogger(log), ...(cluster ? { cluster: cluster.backend } : {}) });
    mkdirSync(join(config.socket, ".."), { recursive: true });
    await api.listen(config.socket);
    log.info(`cnmd listening on unix://${config.socket} (prefix ${config.prefix}, data root ${config.dataRoot})`);
    if (config.dockerPluginSocket) {
      try {
        door = await openDockerDoor({
          controller,
          socketPath: config.dockerPluginSocket,
          bindingsPath: join(config.dataRoot, "docker-networks.json"),
          dockerHost: config.dockerHost,
          logger: log,
        });
        log.info(`serving dockerd as its network and IPAM plugin "cnm" on ${config.dockerPluginSocket}`);
      } catch (err) {
        await api.close();
        throw new Error(`cannot serve dockerd's plugin socket ${config.dockerPluginSocket} (--docker-plugin-socket none turns it off): ${errorText(err)}`, { cause: err });
      }
    }
    if (config.dockerDns) {
      try {
        dockerDns = await startDockerDns(controller, config.dockerDns, log);
        log.info(`answering names of cnm networks for dockerd on ${config.dockerDns}:53 (dockerd --dns ${config.dockerDns})`);
      } catch (err) {
        await door?.close();
        await api.close();
        throw new Error(`cannot answer names on ${config.dockerDns}:53 (--docker-dns): ${errorText(err)}`, { cause: err });
      }
    }
    const c = controller;
    const dockerDoor = door;
    const names = dockerDns;
    return {
      controller: c,
      api,
      stop: async () => {
        await names?.close();
        await dockerDoor?.close();
        await api.close();
        await c.close();
        await cluster?.close();
        store.close();
        releaseLock();
      },
    };
  } catch (err) {
    // Undoing a failed start: `err` is what the caller must see; what the undo hits is logged.
    await controller?.close().catch((closeErr: unknown) => log.warn(`closing the controller after a failed start: ${errorText(closeErr)}`));
    await cluster?.close().catch((closeErr: unknown) => log.warn(`leaving the cluster after a failed start: ${errorText(closeErr)}`));
    store.close();
    releaseLock();
    throw err;
  }
}
