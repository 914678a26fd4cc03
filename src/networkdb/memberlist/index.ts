/**
 * Public API of cnm's memberlist: SWIM membership (with Lifeguard) over the
 * NetworkDB wire codecs, wire-compatible with hashicorp/memberlist as Docker
 * vendors it, running over a pluggable Transport and Clock.
 */
export { Memberlist } from "./memberlist.js";
export {
  type Config,
  defaultLANConfig,
  defaultWANConfig,
  defaultLocalConfig,
  encryptionEnabled,
  validateConfig,
} from "./config.js";
export type { Delegate, EventDelegate, ConflictDelegate } from "./delegate.js";
export { type Node, type NodeStateKind, type MemberInfo, nodeAddress } from "./state.js";
export {
  type Clock,
  type TimerHandle,
  type Deferred,
  RealClock,
  VirtualClock,
  sleep,
  withTimeout,
  deferred,
  startTicker,
} from "./clock.js";
export type { Transport, TransportHandlers, Packet, Stream } from "./transport.js";
export { NetTransport, type NetTransportOptions } from "./net-transport.js";
export {
  MemNetwork,
  MemTransport,
  type MemNetworkOptions,
  type MemNetworkStats,
  type LatencyFn,
} from "./mem-transport.js";
export {
  TransmitLimitedQueue,
  MemberlistBroadcast,
  retransmitLimit,
  type Broadcast,
  type TransmitLimitedQueueOptions,
} from "./broadcast-queue.js";
export { Suspicion, suspicionTimeout, remainingSuspicionTime } from "./suspicion.js";
export { Awareness } from "./awareness.js";
export { pushPullScale, PUSH_PULL_SCALE_THRESHOLD } from "./push-pull.js";
export { type Random, seededRandom, randomOffset, shuffle, kRandom } from "./random.js";
export { type Logger, nullLogger, consoleLogger } from "./logger.js";
export { type MemberlistStats, type PerType } from "./stats.js";
export { splitHostPort, joinHostPort, ensurePort, ipToBytes, bytesToIp } from "./address.js";
export { Keyring } from "../wire/index.js";
