/**
 * memberlist's configuration. Defaults are DefaultLANConfig of the memberlist
 * revision Docker vendors (3d8438da), which is what NetworkDB runs with (it
 * only sets the name, addresses, UDP buffer size, keyring and delegates).
 * Durations are milliseconds.
 */
import { hostname } from "node:os";
import { Keyring, ProtocolVersionMax, ProtocolVersionMin, ProtocolVersion2Compatible } from "../wire/index.js";
import { RealClock, type Clock } from "./clock.js";
import type { ConflictDelegate, Delegate, EventDelegate } from "./delegate.js";
import { nullLogger, type Logger } from "./logger.js";
import type { Random } from "./random.js";
import type { Transport } from "./transport.js";

export interface Config {
  /** This node's name, unique in the cluster. Default: the host name. NetworkDB uses a random 12-hex ID. */
  name: string;

  /** Address the default net transport binds (default "0.0.0.0"). Ignored with a custom transport. */
  bindAddr: string;
  /**
   * Port the default net transport binds (default 7946; 0 = any free port,
   * then bindPort and advertisePort become the port bound). Also the port
   * assumed for peers that send port 0 (protocol version 1) and for join
   * addresses given without a port.
   */
  bindPort: number;
  /** Address advertised to the cluster (default "": ask the transport). */
  advertiseAddr: string;
  /**
   * Port advertised to the cluster (default 0: the transport's port, i.e. the
   * port bound, 7946 unless configured; Go's default spells it 7946).
   */
  advertisePort: number;

  /**
   * Protocol version this node speaks (default 2, ProtocolVersion2Compatible,
   * as Docker). It understands 1..5 and advertises that range; features of
   * higher versions are used towards peers that understand them (TCP ping >= 3,
   * nack >= 4, CRC >= 5).
   */
  protocolVersion: number;

  /** Timeout for TCP connect and for a whole stream exchange (push/pull, user message) (default 10 s). */
  tcpTimeout: number;
  /** Peers asked to probe a node that did not answer a direct ping (default 3). */
  indirectChecks: number;
  /**
   * Retransmissions of each broadcast: retransmitMult * ceil(log10(n + 1))
   * (default 4: enough for epidemic spread with high probability).
   */
  retransmitMult: number;
  /**
   * Suspicion timeout multiplier: a suspect node is declared dead after
   * suspicionMult * max(1, log10(n)) * probeInterval at the least (default 4).
   */
  suspicionMult: number;
  /**
   * Upper bound of the suspicion timeout as a multiple of the lower bound,
   * used while no other node confirms the suspicion (Lifeguard) (default 6:
   * about 120 s for 10k nodes).
   */
  suspicionMaxTimeoutMult: number;
  /**
   * Period of full state exchanges (push/pull) with a random node, stretched
   * for clusters above 32 nodes; 0 disables them (default 30 s: low frequency).
   */
  pushPullInterval: number;
  /** Period of failure detection: one member probed per interval (default 1 s). */
  probeInterval: number;
  /** Time to wait for a direct ack before indirect probes (default 500 ms: a LAN round trip, generously). */
  probeTimeout: number;
  /** Never try a TCP ping when UDP probes fail (default false: TCP pings are safe, even with mixed versions). */
  disableTcpPings: boolean;
  /**
   * Lifeguard local health: the probe interval and timeout stretch up to this
   * multiple while this node itself seems unhealthy (default 8: probes back off to 8 s).
   */
  awarenessMaxMultiplier: number;

  /** Period of gossip rounds (default 200 ms: gossip faster than probing). */
  gossipInterval: number;
  /** Nodes sent the queued broadcasts each gossip round (default 3); 0 disables gossip. */
  gossipNodes: number;
  /** How long dead nodes still get gossip, so they can refute (default 30 s, same as push/pull). */
  gossipToTheDeadTime: number;

  /** With a keyring: refuse unencrypted packets and streams (default true; false while rolling out encryption). */
  gossipVerifyIncoming: boolean;
  /** With a keyring: encrypt what is sent (default true; false while rolling out encryption). */
  gossipVerifyOutgoing: boolean;
  /** LZW-compress packets when that makes them smaller, and every stream (default true). */
  enableCompression: boolean;

  /** A 16/24/32-byte key: added to the keyring (created if needed) and made primary. */
  secretKey: Uint8Array | null;
  /** Keys for AES-GCM encryption; encryption is on when it holds at least one key. */
  keyring: Keyring | null;

  /** Gossip hooks (NetworkDB). */
  delegate: Delegate | null;
  /** Delegate protocol version spoken / understood range, advertised in Vsn (default 0, 0, 0). */
  delegateProtocolVersion: number;
  delegateProtocolMin: number;
  delegateProtocolMax: number;
  /** Join/leave/update notifications. */
  events: EventDelegate | null;
  /** Address conflicts (two nodes claiming one name). */
  conflict: ConflictDelegate | null;

  /**
   * Largest datagram built for gossip and piggybacking (default 1400: fits a
   * 1500-byte MTU with room for IP/UDP headers; NetworkDB also uses 1400).
   */
  udpBufferSize: number;

  /** The network; null: a NetTransport bound to bindAddr:bindPort. */
  transport: Transport | null;
  /** Source of time and timers (default: real time). */
  clock: Clock;
  /** Source of randomness for protocol choices (default Math.random; seed it for reproducible runs). */
  random: Random;
  logger: Logger;
}

/** memberlist's DefaultLANConfig: the settings Docker's NetworkDB uses. */
export function defaultLANConfig(): Config {
  return {
    name: hostname(),
    bindAddr: "0.0.0.0",
    bindPort: 7946,
    advertiseAddr: "",
    advertisePort: 0,
    protocolVersion: ProtocolVersion2Compatible,
    tcpTimeout: 10_000,
    indirectChecks: 3,
    retransmitMult: 4,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    pushPullInterval: 30_000,
    probeTimeout: 500,
    probeInterval: 1_000,
    disableTcpPings: false,
    awarenessMaxMultiplier: 8,
    gossipNodes: 3,
    gossipInterval: 200,
    gossipToTheDeadTime: 30_000,
    gossipVerifyIncoming: true,
    gossipVerifyOutgoing: true,
    enableCompression: true,
    secretKey: null,
    keyring: null,
    delegate: null,
    delegateProtocolVersion: 0,
    delegateProtocolMin: 0,
    delegateProtocolMax: 0,
    events: null,
    conflict: null,
    udpBufferSize: 1400,
    transport: null,
    clock: new RealClock(),
    random: Math.random,
    logger: nullLogger,
  };
}

/** memberlist's DefaultWANConfig: slower, more tolerant timing for high-latency links. */
export function defaultWANConfig(): Config {
  return {
    ...defaultLANConfig(),
    tcpTimeout: 30_000,
    suspicionMult: 6,
    pushPullInterval: 60_000,
    probeTimeout: 3_000,
    probeInterval: 5_000,
    gossipNodes: 4,
    gossipInterval: 500,
    gossipToTheDeadTime: 60_000,
  };
}

/** memberlist's DefaultLocalConfig: faster timing for a single host or loopback. */
export function defaultLocalConfig(): Config {
  return {
    ...defaultLANConfig(),
    tcpTimeout: 1_000,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    pushPullInterval: 15_000,
    probeTimeout: 200,
    probeInterval: 1_000,
    gossipInterval: 100,
    gossipToTheDeadTime: 15_000,
  };
}

/** True when packets and streams are encrypted. */
export function encryptionEnabled(config: Config): boolean {
  return config.keyring !== null && config.keyring.keys.length > 0;
}

/** Throws for settings memberlist refuses or that cannot work. */
export function validateConfig(config: Config): void {
  if (config.protocolVersion < ProtocolVersionMin || config.protocolVersion > ProtocolVersionMax) {
    throw new Error(
      `protocol version ${config.protocolVersion} out of range: must be in [${ProtocolVersionMin}, ${ProtocolVersionMax}]`,
    );
  }
  if (config.name === "") throw new Error("node name must not be empty");
  const positive: (keyof Config)[] = ["tcpTimeout", "probeTimeout", "udpBufferSize", "awarenessMaxMultiplier"];
  for (const key of positive) {
    const v = config[key];
    if (typeof v !== "number" || !(v > 0)) throw new Error(`${key} must be positive`);
  }
  const nonNegative: (keyof Config)[] = [
    "probeInterval",
    "gossipInterval",
    "pushPullInterval",
    "gossipNodes",
    "indirectChecks",
    "retransmitMult",
    "suspicionMult",
    "suspicionMaxTimeoutMult",
    "gossipToTheDeadTime",
  ];
  for (const key of nonNegative) {
    const v = config[key];
    if (typeof v !== "number" || !(v >= 0)) throw new Error(`${key} must not be negative`);
  }
  for (const key of ["delegateProtocolVersion", "delegateProtocolMin", "delegateProtocolMax"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 0 || config[key] > 255) throw new Error(`${key} must be a byte`);
  }
}
