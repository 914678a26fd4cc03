/**
 * The embedded DNS resolver of a sandbox, as Docker's at 127.0.0.11: the
 * contract between the resolver (which speaks DNS on sockets inside the
 * sandbox's namespace) and the controller (which knows the names).
 */

/** The addresses a cnm name resolves to, as seen from one sandbox. */
export interface NameAnswer {
  /** IPv4 addresses, dotted; several for an alias shared by several sandboxes (answered round-robin). */
  readonly ipv4: readonly string[];
  /** IPv6 addresses, in RFC 5952 text. */
  readonly ipv6: readonly string[];
}

/**
 * What the resolver asks the controller. Both calls are synchronous and
 * cheap (map lookups): they sit on the per-query hot path.
 */
export interface ResolverRecords {
  /**
   * The addresses of `name` (lowercase, no trailing dot; "web" or
   * "web.mynet"). undefined: not a cnm name, so the query is forwarded. An
   * answer whose list for the asked family is empty means the name is cnm's
   * but has no address of that family: NOERROR with no answer, never forwarded.
   */
  lookupName(name: string): NameAnswer | undefined;
  /**
   * The names of an address for PTR (each without trailing dot, e.g.
   * "web.mynet"). undefined: not a cnm address, so the query is forwarded.
   */
  lookupAddress(ip: string): readonly string[] | undefined;
  /**
   * Whether names that are not cnm's may be forwarded now. Docker forwards
   * only for a sandbox with a way out: one on internal networks alone gets
   * SERVFAIL, so its DNS cannot leak through the host's resolvers. Absent:
   * always.
   */
  forwards?(): boolean;
}

/** An upstream resolver the embedded one forwards to. */
export interface Upstream {
  /** IPv4 or IPv6 address. */
  readonly address: string;
  /** Default 53. */
  readonly port?: number;
  /**
   * Reach it from the host's namespace rather than the sandbox's: true for
   * the host's loopback resolvers (e.g. systemd-resolved at 127.0.0.53),
   * which a sandbox cannot reach, as Docker does ("host-loopback").
   */
  readonly fromHost?: boolean;
}

export interface ResolverOptions {
  /** Path of the sandbox's network namespace (its key), where the resolver listens. */
  readonly namespace: string;
  /** Default "127.0.0.11", port 53, UDP and TCP. */
  readonly listenAddress?: string;
  readonly records: ResolverRecords;
  /** Tried in order. None: foreign names are answered SERVFAIL. */
  readonly upstreams: readonly Upstream[];
  /** A problem worth a log line (an upstream that failed, a socket error); the resolver goes on. */
  readonly onError?: (err: unknown) => void;
}

/** A running resolver; close() releases its sockets. */
export interface EmbeddedResolver {
  /** "127.0.0.11" unless configured otherwise. */
  readonly address: string;
  close(): Promise<void>;
}

/** The address Docker's embedded DNS listens on inside every sandbox. */
export const EMBEDDED_DNS_ADDRESS = "127.0.0.11";
