/**
 * A cnmd host in a cluster: the cluster store (etcd) for global networks,
 * their addresses and VXLAN ids, and a NetworkDB node whose agent carries
 * the drivers' gossip tables. Without --cluster-store none of this runs.
 */
import type { ClusterBackend } from "../api/index.js";
import { NetworkDBAgent } from "../cluster/networkdb-agent.js";
import { followNodeDiscovery, type NodeDiscoveryTarget } from "../cluster/node-discovery.js";
import type { GlobalStore } from "../controllerapi/index.js";
import type { IdPool } from "../driverapi/index.js";
import { decodePeerRecord, PEER_TABLE } from "../drivers/overlay/index.js";
import { decodeServiceRecord, SERVICE_TABLE } from "../controller/index.js";
import type { Ipam } from "../ipamapi/index.js";
import { FAST_FAILURE_DETECTION, NetworkDB } from "../networkdb/index.js";
import { connectClusterStore, EtcdGlobalStore, EtcdIdPool, EtcdIpam, VXLAN_ID_RANGE, type ClusterStore } from "../store/etcd/index.js";
import { networkDBClusterBackend } from "./cluster-backend.js";
import type { ClusterConfig } from "./cluster-flags.js";
import { errorText, type Logger } from "../log/index.js";

/** How often to try the seeds again while this host is alone. */
const REJOIN_MS = 2000;

export interface ClusterRuntime {
  readonly agent: NetworkDBAgent;
  readonly globalStore: GlobalStore;
  readonly globalIpam: Ipam;
  readonly vxlanIds: IdPool;
  readonly backend: ClusterBackend;
  /** Once the controller exists: drivers hear of the other nodes as they come and go. */
  attach(controller: NodeDiscoveryTarget): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(config: ClusterConfig, log: Logger): Promise<ClusterRuntime> {
  const store: ClusterStore = await connectClusterStore(config.store, { requireReachable: false, logger: log });
  // Not fatal: local networks work meanwhile, and global ones once the store answers.
  await store.rangePrefix("", { limit: 1, keys_only: true }).catch((err: Error) => log.warn(`${err.message}; global networks wait for it`));
  let db: NetworkDB | undefined;
  try {
    db = await NetworkDB.create({
      hostname: config.nodeName,
      bindAddr: config.bindAddr,
      bindPort: config.port,
      advertiseAddr: config.advertiseAddr,
      keys: [...config.keys],
      ...(config.gossipProfile === "docker" ? { directFanout: 0 } : { memberlist: { ...FAST_FAILURE_DETECTION } }),
      logger: log,
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const gossip = db;
  const agent = new NetworkDBAgent(gossip);
  const globalStore = new EtcdGlobalStore(store);
  let stopDiscovery: (() => void) | undefined;
  let rejoin: NodeJS.Timeout | undefined;
  let closed = false;

  const joinSeeds = async (): Promise<void> => {
    if (closed || config.join.length === 0 || gossip.clusterSize() > 1) return;
    try {
      await gossip.join(config.join);
      log.info(`joined the cluster through ${config.join.join(",")} (${gossip.clusterSize()} members)`);
    } catch (err) {
      // As Docker does with seeds that are not up yet: keep going and try again.
      log.warn(`cannot join ${config.join.join(",")} yet: ${(err as Error).message}`);
      rejoin = setTimeout(() => void joinSeeds(), REJOIN_MS);
    }
  };

  // Joined before the controller restores anything: a restarted host must sync
  // with the others first, so the entries it publishes again carry Lamport
  // times later than the traces its previous life left on them.
  await joinSeeds();

  return {
    agent,
    globalStore,
    globalIpam: new EtcdIpam(store),
    vxlanIds: new EtcdIdPool(store, "vxlan", VXLAN_ID_RANGE),
    backend: networkDBClusterBackend(
      gossip,
      { nodeName: config.nodeName, address: config.advertiseAddr, store: config.store },
      { [PEER_TABLE]: decodePeerRecord, [SERVICE_TABLE]: decodeServiceRecord },
      log,
    ),
    async attach(controller) {
      stopDiscovery = await followNodeDiscovery(gossip, controller, { address: config.advertiseAddr, bindAddress: config.bindAddr }, (err) =>
        log.warn(`node discovery: ${(err as Error).message}`),
      );
    },
    async close() {
      closed = true;
      if (rejoin) clearTimeout(rejoin);
      stopDiscovery?.();
      agent.close();
      // Leaving says goodbye: the others drop this host's entries at once instead of after failure detection.
      // Each step is tried whatever the one before did: a failed leave must not keep etcd's connection open.
      await gossip.close().catch((err: unknown) => log.warn(`cluster: leaving the gossip failed (the others will notice this host gone): ${errorText(err)}`));
      await globalStore.close().catch((err: unknown) => log.warn(`cluster: closing the global network watches failed: ${errorText(err)}`));
      await store.close();
    },
  };
}
