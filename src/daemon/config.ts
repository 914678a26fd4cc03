import { resolve } from "node:path";
import { DEFAULT_DATA_ROOT, defaultPrefix, parseFlagsOnly, parseLogLevel, UsageError } from "../cmdline/index.js";
import type { LogLevel } from "../log/index.js";
import { isIP } from "node:net";
import { DEFAULT_DOCKER_HOST, DEFAULT_PLUGIN_SOCKET } from "../engines/docker/index.js";
import { CLUSTER_OPTIONS, CLUSTER_USAGE, parseClusterFlags, type ClusterConfig } from "./cluster-flags.js";

export interface DaemonConfig {
  /** State directory: the SQLite store, the lock, sandbox files. */
  readonly dataRoot: string;
  /** Unix socket of the API. */
  readonly socket: string;
  readonly logLevel: LogLevel;
  /**
   * Prefix of every kernel object this daemon makes. Two daemons on one host
   * need different prefixes; the default is derived from the data root, so
   * they get different ones without being told.
   */
  readonly prefix: string;
  /** Remove every network, sandbox and kernel object of this data root, then the data root itself, and exit. */
  readonly purge: boolean;
  /** Directories searched for network and IPAM plugins (--plugin-dir, repeatable); absent: the defaults. */
  readonly pluginDirs?: readonly string[];
  /** Set when the host is in a cluster (--cluster-store and its companions). */
  readonly cluster?: ClusterConfig;
  /** Where dockerd finds cnmd as its network and IPAM plugin "cnm"; absent: not served. */
  readonly dockerPluginSocket?: string;
  /** dockerd's API, followed to bring global networks to it and to learn its containers' names. */
  readonly dockerHost: string;
  /** An address of this host where cnmd answers names for dockerd's --dns; absent: not served. */
  readonly dockerDns?: string;
}

export const DEFAULT_SOCKET = "/run/cnm/cnm.sock";

export const USAGE = `Usage: cnmd [OPTIONS]

The cnm daemon: networks, endpoints and sandboxes on this host, served on a unix socket
with Docker's network API (DOCKER_HOST=unix://<socket> docker network ls).

Options:
  --data-root DIR     state directory (default ${DEFAULT_DATA_ROOT})
  --socket PATH       API socket, created with mode 0660 (default ${DEFAULT_SOCKET})
  --log-level LEVEL   error, warn, info or debug (default info)
  --prefix PREFIX     prefix of kernel object names, 1-6 of [a-z0-9] (default: cnm for the
                      default data root, else derived from the data root)
  --plugin-dir DIR    where network and IPAM plugins are found (<name>.sock, <name>.spec,
                      <name>.json); repeatable, searched in order (default /run/cnm/plugins,
                      /run/docker/plugins, /etc/docker/plugins, /usr/lib/docker/plugins)
  --docker-plugin-socket PATH|none
                      serve Docker's daemon as its network and IPAM plugin "cnm" on PATH
                      (default ${DEFAULT_PLUGIN_SOCKET}, where dockerd looks); none: do not
  --docker-host URL   dockerd's API, where cnmd brings global networks and learns container
                      names (default ${DEFAULT_DOCKER_HOST}); used with the plugin socket
  --docker-dns ADDR   answer names of every cnm network (all hosts' containers) on ADDR:53,
                      an address of this host; start dockerd with --dns ADDR
  --purge             remove every network and sandbox of this data root (kernel objects,
                      firewall tables, the store itself) and exit
  -h, --help          this text

${CLUSTER_USAGE}`;

export function parseDaemonArgs(argv: readonly string[]): DaemonConfig | "help" {
  const v = parseFlagsOnly(argv, {
    "data-root": { type: "string" },
    socket: { type: "string" },
    "log-level": { type: "string" },
    prefix: { type: "string" },
    purge: { type: "boolean" },
    "plugin-dir": { type: "string", multiple: true },
    "docker-plugin-socket": { type: "string" },
    "docker-host": { type: "string" },
    "docker-dns": { type: "string" },
    help: { type: "boolean", short: "h" },
    ...CLUSTER_OPTIONS,
  });
  if (v.help) return "help";
  const dataRoot = resolve(v["data-root"] ?? DEFAULT_DATA_ROOT);
  const logLevel = parseLogLevel(v["log-level"], "info");
  const prefix = v.prefix ?? defaultPrefix(dataRoot);
  if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) throw new UsageError(`--prefix: "${prefix}" must be 1-6 of [a-z0-9], starting with a letter`);
  const cluster = parseClusterFlags(v);
  const pluginDirs = v["plugin-dir"]?.map((d) => resolve(d));
  const dockerSocket = v["docker-plugin-socket"] ?? DEFAULT_PLUGIN_SOCKET;
  if (dockerSocket === "") throw new UsageError("--docker-plugin-socket: give a path, or none");
  const dockerHost = v["docker-host"] ?? DEFAULT_DOCKER_HOST;
  if (!dockerHost.startsWith("unix://")) throw new UsageError(`--docker-host: "${dockerHost}" must be unix:///path/to/docker.sock`);
  const dockerDns = v["docker-dns"];
  if (dockerDns !== undefined && isIP(dockerDns) === 0) throw new UsageError(`--docker-dns: "${dockerDns}" is not an IP address`);
  return {
    dataRoot,
    socket: resolve(v.socket ?? DEFAULT_SOCKET),
    logLevel,
    prefix,
    purge: v.purge ?? false,
    ...(pluginDirs ? { pluginDirs } : {}),
    ...(cluster ? { cluster } : {}),
    ...(dockerSocket !== "none" ? { dockerPluginSocket: resolve(dockerSocket) } : {}),
    dockerHost,
    ...(dockerDns ? { dockerDns } : {}),
  };
}
