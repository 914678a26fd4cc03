export { type ClusterStoreOptions, ClusterStore, DEFAULT_ROOT, connectClusterStore, parseClusterStoreUrl } from "./client.js";
export { EtcdGlobalStore } from "./global-store.js";
export { EtcdIdPool, MAX_IDS_PER_OWNER, VXLAN_ID_RANGE, type IdPoolStats } from "./id-pool.js";
export { EtcdIpam, type EtcdIpamConfig, type EtcdIpamStats } from "./ipam.js";
