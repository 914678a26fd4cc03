// cnm: the Container Network Model for Linux, as a library.
export { createLinuxController, type LinuxControllerOptions } from "./linux-controller.js";
export { Controller, type ControllerOptions, type EndpointView, type SandboxView } from "./controller/controller.js";
export type { NetworkCreateRequest, SandboxCreateRequest, ConnectRequest } from "./controller/requests.js";
export type { NetworkRecord, EndpointRecord, SandboxRecord, IpamConfig, IpamGrant } from "./controller/records.js";
export type { ClusterAgent, TableListener } from "./controller/cluster-agent.js";
export { LocalAgent } from "./controller/cluster-agent.js";
export type { StateStore } from "./controller/state-store.js";
export { MemoryStateStore } from "./controller/state-store.js";
export * from "./errors.js";
export * as driverapi from "./driverapi/index.js";
export * as ipamapi from "./ipamapi/index.js";
export {
  OverlayDriver,
  overlayDriverInit,
  MemoryIdPool,
  encodePeerRecord,
  decodePeerRecord,
  type OverlayDriverConfig,
  type PeerRecord,
} from "./drivers/overlay/index.js";
export { InProcessCluster } from "./cluster/in-process-cluster.js";
export { NetworkDBAgent } from "./cluster/networkdb-agent.js";
export { NetworkDB, type NetworkDBConfig } from "./networkdb/index.js";
export { SqliteStateStore } from "./store/sqlite-store.js";
export type { RestoreReport } from "./controller/restore.js";
export { servePlugin, type PluginServer, type PluginServerOptions } from "./plugin-sdk/index.js";
export { Plugins, PluginClient, PluginCallError, PluginUnavailableError, findPlugin, DEFAULT_PLUGIN_DIRS, type PluginsOptions, type PluginClientOptions } from "./plugins/index.js";
export { RemoteDriver } from "./drivers/remote/index.js";
export { RemoteIpam } from "./ipam/remote/index.js";
export { BaseDriver } from "./drivers/base-driver.js";
export { DefaultIpam } from "./ipam/index.js";
export { startResolver, EMBEDDED_DNS_ADDRESS, type EmbeddedResolver, type ResolverOptions, type ResolverRecords, type NameAnswer, type Upstream } from "./resolver/index.js";
export { ResolverStartError, type ResolverFactory } from "./controller/sandbox-resolvers.js";
