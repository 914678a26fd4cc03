/**
 * cnmd's cluster flags: the store of global networks (etcd), and this host's
 * NetworkDB node (addresses, seeds, name, gossip keys). Without
 * --cluster-store the daemon is a single host, exactly as before.
 */
import { hostname } from "node:os";
import { decodeKey, ipAddressFlag, joinListFlag, UsageError } from "../cmdline/index.js";

export interface ClusterConfig {
  /** "etcd://HOST:PORT[,HOST:PORT...]" */
  readonly store: string;
  /** This host's address for peers: gossip, and the overlay's tunnel endpoint. */
  readonly advertiseAddr: string;
  /** Address NetworkDB binds (default: the advertise address). */
  readonly bindAddr: string;
  /** NetworkDB's UDP and TCP port (default 7946, Docker's). */
  readonly port: number;
  /** Members to join at start ("IP" or "IP:PORT"). */
  readonly join: readonly string[];
  /** This host's name in the cluster (default: the OS host name). */
  readonly nodeName: string;
  /** Gossip encryption keys; the first encrypts, all decrypt (NetworkDB's keyring). */
  readonly keys: readonly Uint8Array[];
  /**
   * "cnm" (default): a write goes at once to every host of the network, and
   * a dead host is found in about 2 s. "docker": Docker's behaviour, gossip
   * only and memberlist's LAN timings (the same wire either way), for
   * comparisons and for clusters that want Docker's traffic pattern.
   */
  readonly gossipProfile: "cnm" | "docker";
}

export const CLUSTER_USAGE = `Cluster (global-scope networks such as overlay; all absent = a single host):
  --cluster-store etcd://HOST:PORT[,HOST:PORT...]
                      the etcd cluster holding global networks and their addresses
  --advertise-addr IP this host's address for the cluster (gossip, VXLAN tunnels)
  --bind-addr IP      address the gossip listens on (default: the advertise address)
  --cluster-port PORT gossip port, UDP and TCP (default 7946)
  --join ADDR[:PORT],...
                      members to join at start (repeatable)
  --node-name NAME    this host's name in the cluster (default: the host name)
  --gossip-key BASE64 AES key of 16, 24 or 32 bytes (repeatable; the first encrypts,
                      the others still decrypt, for rotation)
  --gossip-profile cnm|docker
                      cnm (default): writes sent at once to a network's hosts, failures
                      found in ~2 s; docker: gossip only, memberlist's LAN timings`;

/** The flags parseArgs must accept for the cluster. */
export const CLUSTER_OPTIONS = {
  "cluster-store": { type: "string" },
  "advertise-addr": { type: "string" },
  "bind-addr": { type: "string" },
  "cluster-port": { type: "string" },
  join: { type: "string", multiple: true },
  "node-name": { type: "string" },
  "gossip-key": { type: "string", multiple: true },
  "gossip-profile": { type: "string" },
} as const;

type ClusterValues = {
  "cluster-store"?: string | undefined;
  "advertise-addr"?: string | undefined;
  "bind-addr"?: string | undefined;
  "cluster-port"?: string | undefined;
  join?: string[] | undefined;
  "node-name"?: string | undefined;
  "gossip-key"?: string[] | undefined;
  "gossip-profile"?: string | undefined;
};

export function parseClusterFlags(v: ClusterValues): ClusterConfig | undefined {
  const store = v["cluster-store"];
  if (store === undefined) {
    const stray = (Object.keys(CLUSTER_OPTIONS) as (keyof ClusterValues)[]).filter((k) => v[k] !== undefined);
    if (stray.length > 0) throw new UsageError(`--${stray[0]} needs --cluster-store`);
    return undefined;
  }
  if (!/^etcd:\/\/[^/]+$/.test(store)) throw new UsageError(`--cluster-store: "${store}" is not etcd://HOST:PORT[,HOST:PORT...]`);
  const advertiseAddr = v["advertise-addr"];
  if (advertiseAddr === undefined) throw new UsageError("--cluster-store needs --advertise-addr: the address other hosts reach this one on");
  const portText = v["cluster-port"] ?? "7946";
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new UsageError(`--cluster-port: "${portText}" is not a port number`);
  const nodeName = v["node-name"] ?? hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(nodeName)) throw new UsageError(`--node-name: "${nodeName}" must be 1-64 of [A-Za-z0-9_.-]`);
  const gossipProfile = v["gossip-profile"] ?? "cnm";
  if (gossipProfile !== "cnm" && gossipProfile !== "docker") throw new UsageError(`--gossip-profile: "${gossipProfile}" is not cnm or docker`);
  return {
    gossipProfile,
    store,
    advertiseAddr: ipAddressFlag("advertise-addr", advertiseAddr),
    bindAddr: ipAddressFlag("bind-addr", v["bind-addr"] ?? advertiseAddr),
    port: Number(portText),
    join: joinListFlag(v.join),
    nodeName,
    keys: (v["gossip-key"] ?? []).map((k) => decodeKey(k, "gossip-key")),
  };
}
