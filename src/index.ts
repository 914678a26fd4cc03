// cnm: the Container Network Model for Linux, as a library.
export { createLinuxController, type LinuxControllerOptions } from "./linux-controller.js";
export { Controller, type ControllerOptions, type EndpointView, type SandboxView } from "./controller/index.js";
export type { NetworkCreateRequest, SandboxCreateRequest, ConnectRequest } from "./controllerapi/index.js";
export type { NetworkRecord, EndpointRecord, SandboxRecord, IpamConfig, IpamGrant } from "./controllerapi/index.js";
export type { ClusterAgent, TableListener } from "./controllerapi/index.js";
export { LocalAgent } from "./cluster/local-agent.js";
export type { StateStore } from "./controllerapi/index.js";
export { MemoryStateStore } from "./store/memory-store.js";
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
export type { RestoreReport } from "./controller/index.js";
export { servePlugin, type PluginServer, type PluginServerOptions } from "./plugin-sdk/index.js";
export { Plugins, PluginClient, PluginCallError, PluginUnavailableError, findPlugin, DEFAULT_PLUGIN_DIRS, type PluginsOptions, type PluginClientOptions } from "./plugins/index.js";
export { RemoteDriver } from "./drivers/remote/index.js";
export { RemoteIpam } from "./ipam/remote/index.js";
export { BaseDriver } from "./drivers/base-driver.js";
export { DefaultIpam } from "./ipam/index.js";
export { startResolver, EMBEDDED_DNS_ADDRESS, type EmbeddedResolver, type ResolverOptions, type ResolverRecords, type NameAnswer, type Upstream } from "./resolver/index.js";
export { ResolverStartError, type ResolverFactory } from "./controller/index.js";
export { quietLogger, stderrLogger, type Logger, type LogLevel } from "./log/index.js";
