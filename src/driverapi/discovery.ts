/**
 * Discovery events the controller hands to every driver (libnetwork's
 * discoverapi): cluster node arrivals and departures, the datastore to use,
 * and the keys for encrypted overlays.
 */
export enum DiscoveryType {
  NodeDiscovery = 1,
  DatastoreConfig = 2,
  EncryptionKeysConfig = 3,
  EncryptionKeysUpdate = 4,
}

export interface NodeDiscoveryData {
  /** Address other nodes reach this node on. */
  readonly address: string;
  /** Local address the node binds to. */
  readonly bindAddress: string;
  /** True when the event describes this node itself. */
  readonly self: boolean;
}

export interface DatastoreConfigData {
  readonly scope: "local" | "global";
  readonly provider: string;
  readonly address: string;
  readonly config?: unknown;
}

export interface EncryptionKeysConfigData {
  readonly keys: readonly Uint8Array[];
  readonly tags: readonly bigint[];
}

export interface EncryptionKeysUpdateData {
  readonly key?: Uint8Array;
  readonly primary?: Uint8Array;
  readonly prune?: Uint8Array;
  readonly keyTag?: bigint;
  readonly primaryTag?: bigint;
  readonly pruneTag?: bigint;
}

export type DiscoveryEvent =
  | { readonly type: DiscoveryType.NodeDiscovery; readonly data: NodeDiscoveryData }
  | { readonly type: DiscoveryType.DatastoreConfig; readonly data: DatastoreConfigData }
  | { readonly type: DiscoveryType.EncryptionKeysConfig; readonly data: EncryptionKeysConfigData }
  | { readonly type: DiscoveryType.EncryptionKeysUpdate; readonly data: EncryptionKeysUpdateData };
