/**
 * The controller's door: the rest of cnm (the API, the daemon, the library's
 * entry point) imports the controller only from here.
 *
 * The room inside, bottom to top:
 * - context.ts, policy.ts: what every operation shares, and the rules about a
 *   network every operation consults (gateway network, names, cluster scope);
 * - small parts: ids, lookup, locks, name claims, the endpoint table,
 *   registries, IPAM allocation, join info, gateway choice, best effort;
 * - dns/: names and the embedded DNS (name records, their gossip table,
 *   resolvers, hosts and resolv.conf); cluster/: the global store's feed and
 *   a network's gossip (joins, table watches, endpoint-owned entries);
 * - the operations: network-ops (networks, a cluster network's life on this
 *   host), endpoint-ops (endpoints, deferred deletion), sandbox-ops
 *   (sandboxes, join and leave, the gateway), then gateway-network
 *   (docker_gwbridge on demand) and restore;
 * - controller.ts: the Controller, the only caller of the operations.
 */
export { Controller, type ControllerOptions, type EndpointView, type SandboxView } from "./controller.js";
export type { RestoreReport } from "./restore.js";
export type { EngineJoinAnswer } from "./engine-ops.js";
export type { DriverLoader, RegisteredDriver } from "./driver-registry.js";
export type { IpamLoader, RegisteredIpam } from "./ipam-registry.js";
export { ResolverStartError, type ResolverFactory } from "./dns/sandbox-resolvers.js";
export { dnsNamesOf } from "./dns/sandbox-dns.js";
export { SERVICE_TABLE, decodeServiceRecord, encodeServiceRecord, type ServiceRecord } from "./dns/service-table.js";
