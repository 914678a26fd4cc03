// Where the daemon listens: --host, then CNM_HOST, then the default socket.
// The form is DOCKER_HOST's, restricted to unix sockets (the daemon serves
// nothing else).

import { UsageError } from "../cmdline/index.js";

export const DEFAULT_HOST = "unix:///run/cnm/cnm.sock";

/** A daemon address: its socket path and the text the user gave, for messages. */
export interface DaemonHost {
  readonly socketPath: string;
  /** As written (e.g. "unix:///run/cnm/cnm.sock"). */
  readonly url: string;
}

export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv): DaemonHost {
  const url = flag ?? (env.CNM_HOST ? env.CNM_HOST : DEFAULT_HOST);
  return parseHost(url);
}

/** Parses "unix:///path" (or a bare absolute path, which docker also accepts for -H). */
export function parseHost(url: string): DaemonHost {
  if (url.startsWith("/")) return { socketPath: url, url: `unix://${url}` };
  const m = /^unix:\/\/(\/.*)$/.exec(url);
  if (!m || m[1]!.length < 2) {
    throw new UsageError(`invalid host "${url}": expected unix:///path/to/socket`);
  }
  return { socketPath: m[1]!, url };
}
