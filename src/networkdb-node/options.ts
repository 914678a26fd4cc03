/**
 * Command line of networkdb-node: one NetworkDB node as a process, with the
 * flags the issue names (memberlist's and networkdb-test's vocabulary) and
 * a few cnm timing knobs for benchmarks.
 */
import { decodeKey, ipAddressFlag, joinListFlag, parseFlagsOnly, parseLogLevel, UsageError } from "../cmdline/index.js";
import type { LogLevel } from "../log/index.js";
import { FAST_FAILURE_DETECTION } from "../networkdb/config.js";

export interface NodeOptions {
  /** memberlist node name; empty = NetworkDB's random 12 hex digits. */
  readonly nodeName: string;
  readonly bindAddr: string;
  readonly advertiseAddr: string;
  /** UDP and TCP port of the gossip (memberlist) listener. */
  readonly port: number;
  /** Seeds to join at start ("ip", "ip:port", "host:port"). */
  readonly join: readonly string[];
  /** AES-GCM keys; the first one encrypts. */
  readonly keys: readonly Uint8Array[];
  readonly httpAddr: string;
  readonly httpPort: number;
  readonly logLevel: LogLevel;
  /** memberlist failure-detector timings (milliseconds, multiplier). */
  readonly probeInterval: number;
  readonly probeTimeout: number;
  readonly suspicionMult: number;
  /** NetworkDB's table gossip period (milliseconds). */
  readonly gossipInterval: number;
  /** Peers a local write is sent to at once (Infinity: all; 0: Docker's gossip only). */
  readonly directFanout: number;
  /** Transmissions of each queued table event: mult * ceil(log10(n + 1)) (Docker: 4). */
  readonly tableRetransmitMult: number;
}

/** Docker's diagnostic server listens on 2000 by default; so does ours. */
export const DEFAULT_HTTP_PORT = 2000;

// Failure detection: cnm's fast timings (see FAST_FAILURE_DETECTION for why).
const DEFAULT_PROBE_INTERVAL = FAST_FAILURE_DETECTION.probeInterval;
const DEFAULT_PROBE_TIMEOUT = FAST_FAILURE_DETECTION.probeTimeout;
const DEFAULT_SUSPICION_MULT = FAST_FAILURE_DETECTION.suspicionMult;
const DEFAULT_GOSSIP_INTERVAL = 200;

export const USAGE = `Usage: networkdb-node [OPTIONS]

One NetworkDB node (memberlist SWIM + per-network tables, wire-compatible with
Docker's) as a process, driven over HTTP with the paths of libnetwork's
networkdb-test server: /join?members= /joinnetwork?nid= /leavenetwork?nid=
/createentry /updateentry /deleteentry /getentry /gettable /clusterpeers
/networkpeers /networkstats /ready (add "json" or "json=pretty" for JSON,
"unsafe" for values as plain text instead of base64).

Options:
  --node-name NAME        node name in the cluster (default: 12 random hex digits)
  --bind-addr ADDR        address of the gossip listener (default 0.0.0.0)
  --advertise-addr ADDR   address told to peers (default: the bind address, or the
                          first private address when binding 0.0.0.0)
  --port PORT             gossip port, UDP and TCP (default 7946)
  --join ADDR[:PORT],...  join these nodes at start
  --key BASE64            AES key of 16, 24 or 32 bytes; repeat for several, the
                          first one encrypts (default: no encryption)
  --http-addr ADDR        address of the HTTP control surface (default 127.0.0.1:
                          it is unauthenticated)
  --http-port PORT        its port (default ${DEFAULT_HTTP_PORT}; 0 = any, printed on stdout)
  --probe-interval MS     failure-detector probe period (default ${DEFAULT_PROBE_INTERVAL}; Docker's 1000)
  --probe-timeout MS      direct probe timeout (default ${DEFAULT_PROBE_TIMEOUT}; Docker's 500)
  --suspicion-mult N      suspicion timeout multiplier (default ${DEFAULT_SUSPICION_MULT}; Docker's 4)
  --gossip-interval MS    table gossip period (default ${DEFAULT_GOSSIP_INTERVAL}, Docker's)
  --direct-fanout N|all   peers a write is sent to at once, before gossip (default all;
                          0 = Docker's behaviour, gossip only)
  --table-retransmit-mult N
                          gossip transmissions of a table event, times ceil(log10(n + 1))
                          for a network of n nodes (default 4, Docker's)
  --log-level LEVEL       error, warn, info or debug (default warn)
  -h, --help              this text`;

function integer(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name}: "${text}" is not a whole number`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`--${name}: ${n} is not between ${min} and ${max}`);
  return n;
}

/** An address flag that must be an IP literal, as memberlist's bind and advertise addresses are. */
function ipAddress(name: string, text: string | undefined, fallback: string): string {
  return text === undefined ? fallback : ipAddressFlag(name, text);
}

export function parseNodeArgs(argv: readonly string[]): NodeOptions | "help" {
  const v = parseFlagsOnly(argv, {
    "node-name": { type: "string" },
    "bind-addr": { type: "string" },
    "advertise-addr": { type: "string" },
    port: { type: "string" },
    join: { type: "string", multiple: true },
    key: { type: "string", multiple: true },
    "http-addr": { type: "string" },
    "http-port": { type: "string" },
    "probe-interval": { type: "string" },
    "probe-timeout": { type: "string" },
    "suspicion-mult": { type: "string" },
    "gossip-interval": { type: "string" },
    "direct-fanout": { type: "string" },
    "table-retransmit-mult": { type: "string" },
    "log-level": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) return "help";
  const logLevel = parseLogLevel(v["log-level"], "warn");
  const join = joinListFlag(v.join);
  const probeInterval = integer("probe-interval", v["probe-interval"], DEFAULT_PROBE_INTERVAL, 10, 60_000);
  const probeTimeout = integer("probe-timeout", v["probe-timeout"], Math.min(DEFAULT_PROBE_TIMEOUT, probeInterval), 1, 60_000);
  if (probeTimeout > probeInterval) throw new UsageError("--probe-timeout must not exceed --probe-interval");
  return {
    nodeName: v["node-name"] ?? "",
    bindAddr: ipAddress("bind-addr", v["bind-addr"], "0.0.0.0"),
    advertiseAddr: ipAddress("advertise-addr", v["advertise-addr"], ""),
    port: integer("port", v.port, 7946, 0, 65535),
    join,
    keys: (v.key ?? []).map((k) => decodeKey(k)),
    httpAddr: v["http-addr"] ?? "127.0.0.1",
    httpPort: integer("http-port", v["http-port"], DEFAULT_HTTP_PORT, 0, 65535),
    logLevel,
    probeInterval,
    probeTimeout,
    suspicionMult: integer("suspicion-mult", v["suspicion-mult"], DEFAULT_SUSPICION_MULT, 1, 100),
    gossipInterval: integer("gossip-interval", v["gossip-interval"], DEFAULT_GOSSIP_INTERVAL, 1, 60_000),
    tableRetransmitMult: integer("table-retransmit-mult", v["table-retransmit-mult"], 4, 1, 100),
    directFanout: v["direct-fanout"] === undefined || v["direct-fanout"] === "all" ? Infinity : integer("direct-fanout", v["direct-fanout"], 0, 0, 1_000_000),
  };
}
