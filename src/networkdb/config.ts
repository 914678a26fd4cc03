/**
 * NetworkDB's configuration. Defaults are Docker's (libnetwork networkdb at
 * the revision the captures in /work/shared/vectors come from) unless a field
 * says otherwise; cnm-only fields say what they add. Durations are
 * milliseconds of the configured clock.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import {
  RealClock,
  nullLogger,
  type Clock,
  type Config as MemberlistConfig,
  type Logger,
  type Random,
} from "./memberlist/index.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export interface NetworkDBConfig {
  /**
   * This node's name in the cluster (the memberlist node name, carried as
   * node_name in every NetworkDB message). Default: 12 random hex digits, as
   * Docker's truncated random ID; unique per process so that a restarted node
   * is a new incarnation, never mistaken for its previous life.
   */
  nodeId: string;
  /** Host name, for logs and diagnostics only (default: os.hostname()). */
  hostname: string;

  /** Address the UDP/TCP listeners bind (default "0.0.0.0"). Ignored with a custom memberlist transport. */
  bindAddr: string;
  /** Port bound for both UDP and TCP (default 7946, Docker's; 0 = any free port, handy in tests). */
  bindPort: number;
  /** Address advertised to peers (default "": the transport picks the bound/first private address). */
  advertiseAddr: string;
  /** Port advertised to peers (default 0: the bound port). */
  advertisePort: number;

  /**
   * AES-GCM keys (16, 24 or 32 bytes); keys[0] is the primary one, used to
   * encrypt, the others only decrypt (key rotation). Empty (default):
   * no encryption, as Docker without `--opt encrypted` on the control plane.
   */
  keys: Uint8Array[];

  /**
   * Largest UDP datagram built, for gossip and direct table events alike
   * (default 1400, Docker's: fits a 1500-byte MTU with IP/UDP headers and
   * encryption overhead to spare). A table event larger than this is never
   * sent in a datagram; it travels over TCP (directly to the network's peers
   * and in bulk syncs).
   */
  packetBufferSize: number;

  /**
   * How long a deleted entry lingers as a tombstone before it is purged
   * (default 30 min, Docker's reapEntryInterval). It must outlive every
   * delayed copy of the entry's older events, so that none can recreate it;
   * deletes carry the time left (residual_reap_time, seconds).
   */
  reapEntryInterval: number;
  /**
   * How long a left network's attachment lingers (default: reapEntryInterval
   * + 5 reap periods, as Docker computes it, so the network outlives its
   * entries' tombstones). Null = computed from reapEntryInterval.
   */
  reapNetworkInterval: number | null;
  /** Period of the tombstone and network reaper (default 5 s, Docker's reapPeriod). */
  reapPeriod: number;

  /**
   * Period of the per-network gossip of queued table events (default 200 ms,
   * memberlist's GossipInterval, which Docker uses for its table gossip).
   * Because cnm sends table events to the network's peers at once (see
   * directFanout), this gossip is repair, not the main path: it fills in
   * what datagram loss took away.
   */
  gossipInterval: number;
  /** Peers of a network sent the queued table events each gossip round (default 3, as Docker). */
  gossipNodes: number;
  /**
   * Transmissions of each table event from the per-network queue:
   * tableRetransmitMult * ceil(log10(n + 1)) for a network of n nodes
   * (default 4, Docker's hard-coded RetransmitMult for table queues).
   */
  tableRetransmitMult: number;

  /**
   * cnm: peers of a network a local table write is sent to at once, in one
   * datagram each, before any gossip round (default Infinity: every peer of
   * the network). With all peers, an entry reaches every node after one
   * network latency unless a datagram is lost; the queued gossip then
   * repairs the losses. A smaller number trades latency for the writer's
   * bandwidth (the rest is left to forwarding and gossip). 0 disables it
   * (Docker's behaviour: gossip only).
   */
  directFanout: number;
  /**
   * cnm: peers a node forwards a table event to at once when it first
   * learns it from the network (default 0). Useful with a small
   * directFanout (forwarding then spreads an event in a few network
   * latencies); pointless when the writer already sent to everyone.
   */
  forwardFanout: number;

  /**
   * cnm: most table events a network's gossip queue holds (default 4096);
   * beyond, the most transmitted, then oldest, are dropped. Docker's queue
   * is unbounded, and a node that writes 100,000 entries holds an encoded
   * copy of each until every one has been gossiped its dozen times, which
   * at a few events per 200 ms datagram takes over an hour (about 1 KB
   * per entry meanwhile). The events dropped were already sent to every
   * peer directly (directFanout), and the periodic bulk sync repairs what
   * loss took. With directFanout 0 (gossip only) set Infinity.
   */
  maxTableQueueLen: number;

  /**
   * Period of the periodic bulk sync: each node sends the entries of each of
   * its networks to one random peer of that network over TCP, which answers
   * with its own (default 30 s: Docker uses memberlist's PushPullInterval).
   * This is the anti-entropy that makes two nodes agree whatever was lost.
   */
  bulkSyncInterval: number;
  /** How long an initiated bulk sync waits for the peer's answer (default 30 s, as Docker). */
  bulkSyncTimeout: number;
  /**
   * cnm: largest payload of one bulk-sync message (default 1 MiB). A bulk
   * sync of a big table is split into several TCP messages, each a complete
   * BULK_SYNC a Go peer accepts, so memory stays bounded on both ends and no
   * message comes near memberlist's 10 MiB stream limit.
   */
  bulkSyncChunkBytes: number;
  /**
   * cnm: peers a node bulk syncs with when it joins a network (default 8,
   * chosen at random). Docker syncs with every node of the network, one
   * after the other, which takes minutes in a network of thousands; a few
   * peers give the joining node the whole table (every node holds it all)
   * and the periodic bulk sync covers the rest. Infinity restores Docker's.
   */
  joinSyncPeers: number;
  /**
   * Entries learned by bulk sync are re-gossiped only while the network's
   * queue holds fewer than this many events (default 500, Docker's
   * maxQueueLenBroadcastOnSync: about a minute of draining).
   */
  maxQueueLenBroadcastOnSync: number;

  /** Period of the attempt to reconnect one failed node (default 1 s, Docker's retryInterval). */
  retryInterval: number;
  /**
   * Period of the check that at least one bootstrap node (the addresses
   * given to join) is still a member; if none is, the node tries to join
   * them again for rejoinClusterDuration (default 60 s, Docker's), which
   * merges clusters split by all managers restarting together.
   */
  rejoinInterval: number;
  /** How long a rejoin attempt keeps retrying, every retryInterval (default 10 s, as Docker). */
  rejoinClusterDuration: number;
  /** Failed and left nodes are forgotten after this long (default 24 h, Docker's nodeReapInterval). */
  nodeReapInterval: number;
  /** Period of that check (default 2 h, Docker's nodeReapPeriod). */
  nodeReapPeriod: number;
  /** How long join/close wait for the node event to be gossiped (default 5 s, Docker's broadcastTimeout). */
  nodeEventTimeout: number;
  /** Period of the queue statistics log line at info level (default 5 min, Docker's StatsPrintPeriod; 0 = never). */
  statsInterval: number;
  /** Period of the health score warning when memberlist is unhealthy (default 1 min, Docker's; 0 = never). */
  healthInterval: number;

  /**
   * Overrides for memberlist's DefaultLANConfig (timings, transport,
   * compression...). NetworkDB sets name, addresses, UDP buffer size,
   * keyring, delegates, clock, random and logger itself.
   */
  memberlist: Partial<MemberlistConfig>;
  /** Time and timers, shared with memberlist (default: real time; a VirtualClock in simulation). */
  clock: Clock;
  /** Randomness for peer choices and staggers, shared with memberlist (default Math.random; seed it to replay a run). */
  random: Random;
  logger: Logger;
}

/** Docker's defaults (and cnm's for the fields it adds). */
/*
 * Failure detection as cnm runs it (networkdb-node and cnmd): Docker runs
 * memberlist's LAN defaults (probe every 1 s, suspicion 4 x probe interval
 * at least), which take 5.5 to 7.4 s to drop a killed node. Probing every
 * 400 ms (200 ms timeout) with a suspicion multiplier of 3 drops it in about
 * 2 s and still refutes every false suspicion at 10% loss (bench/networkdb.ts
 * measures both). The wire is the same either way, so a node with these
 * timings joins a cluster of Go nodes unchanged. The library's own defaults
 * stay Docker's.
 */
export const FAST_FAILURE_DETECTION = { probeInterval: 400, probeTimeout: 200, suspicionMult: 3 } as const;

export function defaultConfig(): NetworkDBConfig {
  return {
    nodeId: randomBytes(6).toString("hex"),
    hostname: hostname(),
    bindAddr: "0.0.0.0",
    bindPort: 7946,
    advertiseAddr: "",
    advertisePort: 0,
    keys: [],
    packetBufferSize: 1400,
    reapEntryInterval: 30 * MINUTE,
    reapNetworkInterval: null,
    reapPeriod: 5 * SECOND,
    gossipInterval: 200,
    gossipNodes: 3,
    tableRetransmitMult: 4,
    directFanout: Infinity,
    forwardFanout: 0,
    maxTableQueueLen: 4096,
    bulkSyncInterval: 30 * SECOND,
    bulkSyncTimeout: 30 * SECOND,
    bulkSyncChunkBytes: 1 << 20,
    joinSyncPeers: 8,
    maxQueueLenBroadcastOnSync: 500,
    retryInterval: 1 * SECOND,
    rejoinInterval: 60 * SECOND,
    rejoinClusterDuration: 10 * SECOND,
    nodeReapInterval: 24 * HOUR,
    nodeReapPeriod: 2 * HOUR,
    nodeEventTimeout: 5 * SECOND,
    statsInterval: 5 * MINUTE,
    healthInterval: 1 * MINUTE,
    memberlist: {},
    clock: new RealClock(),
    random: Math.random,
    logger: nullLogger,
  };
}

/** The effective network reap interval. */
export function reapNetworkInterval(config: NetworkDBConfig): number {
  return config.reapNetworkInterval ?? config.reapEntryInterval + 5 * config.reapPeriod;
}

/** Throws for settings that cannot work. */
export function validateConfig(config: NetworkDBConfig): void {
  if (config.nodeId === "") throw new Error("nodeId must not be empty");
  const positive: (keyof NetworkDBConfig)[] = [
    "packetBufferSize",
    "reapEntryInterval",
    "reapPeriod",
    "bulkSyncTimeout",
    "bulkSyncChunkBytes",
    "nodeEventTimeout",
  ];
  for (const key of positive) {
    const v = config[key];
    if (typeof v !== "number" || !(v > 0)) throw new Error(`${key} must be positive`);
  }
  const nonNegative: (keyof NetworkDBConfig)[] = [
    "gossipInterval",
    "gossipNodes",
    "tableRetransmitMult",
    "directFanout",
    "forwardFanout",
    "maxTableQueueLen",
    "bulkSyncInterval",
    "joinSyncPeers",
    "maxQueueLenBroadcastOnSync",
    "retryInterval",
    "rejoinInterval",
    "rejoinClusterDuration",
    "nodeReapInterval",
    "nodeReapPeriod",
    "statsInterval",
    "healthInterval",
  ];
  for (const key of nonNegative) {
    const v = config[key];
    if (typeof v !== "number" || !(v >= 0)) throw new Error(`${key} must not be negative`);
  }
  if (config.reapNetworkInterval !== null && config.reapNetworkInterval < config.reapEntryInterval) {
    throw new Error("reapNetworkInterval must not be shorter than reapEntryInterval");
  }
  if (config.packetBufferSize < 64) throw new Error("packetBufferSize is too small for any table event");
}
