import type { EndpointRecord, NetworkRecord, SandboxRecord } from "./records.js";

/**
 * Where the controller persists its records. Every write completes before the
 * operation that made it returns, so a crash after an answer loses nothing.
 * The daemon plugs in SQLite (local) or etcd (global); a library user that
 * needs no persistence keeps the in-memory default.
 */
export interface StateStore {
  putNetwork(record: NetworkRecord): Promise<void>;
  deleteNetwork(id: string): Promise<void>;
  putEndpoint(record: EndpointRecord): Promise<void>;
  deleteEndpoint(id: string): Promise<void>;
  putSandbox(record: SandboxRecord): Promise<void>;
  deleteSandbox(id: string): Promise<void>;
  loadAll(): Promise<{ networks: NetworkRecord[]; endpoints: EndpointRecord[]; sandboxes: SandboxRecord[] }>;
}
