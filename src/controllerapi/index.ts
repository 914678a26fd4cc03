/**
 * The contracts between the controller and the rooms it stands on: the
 * records it keeps, the requests it takes, the stores that persist them
 * (SQLite, etcd) and the cluster agent that gossips for it. Types only, so
 * store/ and cluster/ implement them without importing the controller.
 */
export type { NetworkRecord, EndpointRecord, SandboxRecord, JoinRecord, IpamConfig, IpamGrant } from "./records.js";
export type { NetworkCreateRequest, SandboxCreateRequest, ConnectRequest, EngineEndpointRequest, EngineJoinRequest } from "./requests.js";
export type { StateStore } from "./state-store.js";
export type { GlobalStore, GlobalNetworkChange, GlobalEndpoint } from "./global-store.js";
export type { ClusterAgent, TableListener } from "./cluster-agent.js";
