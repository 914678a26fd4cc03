/**
 * The connection to the cluster store (etcd): URL parsing, a client whose
 * every call has a deadline and fails fast while etcd is down, and one error
 * for every failure underneath (UnavailableError), so callers never see a raw
 * gRPC error and never hang.
 */
import { ExponentialBackoff, handleWhen, noop, retry } from "cockatiel";
import { Etcd3, isRecoverableError, type IRangeRequest, type IRangeResponse, type ITxnRequest, type ITxnResponse } from "etcd3";
import { InvalidParameterError, UnavailableError } from "../../errors.js";
import { errorText, quietLogger, type Logger } from "../../log/index.js";

export interface ClusterStoreOptions {
  /** Prefix of every key cnm writes; default "/cnm/v1/". Tests use a unique one. */
  readonly root?: string;
  /** How long the first contact (connectClusterStore's check) may take; default 2000 ms. */
  readonly dialTimeoutMs?: number;
  /** Deadline of each unary call; default 3000 ms. */
  readonly callTimeoutMs?: number;
  /**
   * Fail unless etcd answers now (default true). A daemon passes false: it
   * starts while etcd is away, and its global operations fail until it is back.
   */
  readonly requireReachable?: boolean;
  /** Where the store's background work (watches, their resyncs) reports what failed. Default: quiet. */
  readonly logger?: Logger;
}

export const DEFAULT_ROOT = "/cnm/v1/";

/** Parse "etcd://HOST:PORT[,HOST:PORT...]" (IPv6 hosts in brackets) into "HOST:PORT" endpoints. */
export function parseClusterStoreUrl(url: string): string[] {
  const scheme = "etcd://";
  if (!url.startsWith(scheme)) throw new InvalidParameterError(`cluster store ${JSON.stringify(url)}: expected etcd://HOST:PORT[,HOST:PORT...]`);
  const list = url.slice(scheme.length);
  if (list === "") throw new InvalidParameterError(`cluster store ${JSON.stringify(url)}: no endpoint given`);
  return list.split(",").map((endpoint) => {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/.exec(endpoint);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      throw new InvalidParameterError(`cluster store ${JSON.stringify(url)}: bad endpoint ${JSON.stringify(endpoint)}, expected HOST:PORT or [IPv6]:PORT`);
    }
    return endpoint;
  });
}

/** The key that ends the range of every key starting with `prefix` (etcd's prefix range_end). */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]); // all keys >= prefix
}

/**
 * One host's connection to the cluster store. Keys given to its methods are
 * relative to the root; raw requests built by callers use `key()`.
 */
export class ClusterStore {
  readonly root: string;

  constructor(
    readonly url: string,
    readonly client: Etcd3,
    root: string,
    readonly log: Logger = quietLogger,
  ) {
    this.root = root;
  }

  /** The absolute key of `sub` under the root. */
  key(sub: string): Buffer {
    return Buffer.from(this.root + sub);
  }

  /** `sub` of an absolute key under the root. */
  relative(key: Buffer): string {
    return key.toString("utf8").slice(this.root.length);
  }

  /** Runs one etcd operation; any failure becomes UnavailableError naming the store. */
  async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  unavailable(err: unknown): UnavailableError {
    if (err instanceof UnavailableError) return err;
    const reason = errorText(err);
    return new UnavailableError(`cluster store ${this.url} is unreachable: ${reason}`, { cause: err });
  }

  txn(request: ITxnRequest): Promise<ITxnResponse> {
    return this.call(() => this.client.kv.txn(request));
  }

  range(request: IRangeRequest): Promise<IRangeResponse> {
    return this.call(() => this.client.kv.range(request));
  }

  /** Every key/value under the relative prefix `sub`, and the revision they were read at. */
  rangePrefix(sub: string, extra: Omit<IRangeRequest, "key" | "range_end"> = {}): Promise<IRangeResponse> {
    const key = this.key(sub);
    return this.range({ key, range_end: prefixEnd(key), ...extra });
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/**
 * Connects to the etcd cluster named by `url` and checks that it answers
 * (UnavailableError otherwise, InvalidParameterError for a malformed URL).
 *
 * Fault handling: etcd3's default per-host circuit breaker stays open for
 * seconds after three failures and refuses calls with BrokenCircuitError even
 * once etcd is back; here there is none. A call to a dead member fails at
 * once (connection refused) or at its deadline, is retried on the other
 * members, and the next call after a restart reconnects (etcd3 drops the
 * channel on every recoverable error, so no gRPC reconnect backoff applies).
 */
export async function connectClusterStore(url: string, options: ClusterStoreOptions = {}): Promise<ClusterStore> {
  const endpoints = parseClusterStoreUrl(url);
  const root = options.root ?? DEFAULT_ROOT;
  if (!root.startsWith("/") || !root.endsWith("/")) throw new InvalidParameterError(`cluster store root ${JSON.stringify(root)} must start and end with "/"`);
  const callTimeoutMs = options.callTimeoutMs ?? 3000;
  const client = new Etcd3({
    hosts: endpoints.map((e) => `http://${e}`),
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
    grpcOptions: {
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1000,
      // Notice a silently dead member (no RST) on an idle watch stream.
      "grpc.keepalive_time_ms": 10_000,
      "grpc.keepalive_timeout_ms": 5_000,
    },
    faultHandling: {
      host: () => noop,
      global: endpoints.length > 1 ? retry(handleWhen(isRecoverableError), { maxAttempts: endpoints.length - 1 }) : noop,
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }).next(),
    },
  });
  const store = new ClusterStore(`etcd://${endpoints.join(",")}`, client, root, options.logger);
  if (options.requireReachable === false) return store;
  // etcd3 ignores its own dialTimeout: the first contact has a deadline of its own instead.
  const dialDeadline = Date.now() + (options.dialTimeoutMs ?? 2000);
  try {
    await store.call(() => client.kv.range({ key: store.key(""), limit: 1, keys_only: true }, { deadline: dialDeadline }));
  } catch (err) {
    client.close();
    throw err;
  }
  return store;
}
