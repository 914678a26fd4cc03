/**
 * A cluster of "machines" on one Linux host, for tests, benchmarks and labs:
 * an underlay bridge in a namespace of its own, N host namespaces plugged into
 * it (198.51.100.11, .12, ...), one cnmd in each, and optionally etcd in
 * another namespace on the underlay (198.51.100.2:2379).
 *
 *   const bed = await Testbed.start({ hosts: 3, etcd: true });
 *   await bed.hosts[0]!.cnm(["network", "ls"]);
 *   await bed.close();   // everything it made is gone, pass or fail
 *
 * Addresses: each testbed has its own bridge in its own namespace, a separate
 * L2 domain, so every testbed uses the same 198.51.100.0/24 addresses. That
 * needs no coordination between testbeds running at once (in one process or
 * several), gives each up to 243 hosts, and keeps addresses predictable
 * (host i is always .10+i); slicing the /24 would give neither.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { NETNS_RUN_DIR } from "../linux/netns.js";
import { EtcdProcess } from "./etcd.js";
import { leftoversOf, namespacesOf, type Leftovers, type TestbedFootprint } from "./leftovers.js";
import { TestbedHost } from "./testbed-host.js";
import { attachToUnderlay, createUnderlay, deleteNamespace, underlayAddress } from "./underlay.js";
import { errorText } from "../log/index.js";

export interface TestbedOptions {
  /** Number of hosts, 1-243. */
  readonly hosts: number;
  /** Run etcd on the underlay (198.51.100.2:2379). Default false. */
  readonly etcd?: boolean;
  /**
   * Start each cnmd as a cluster member (clusterArgs: --cluster-store when
   * etcd runs, --advertise-addr, --bind-addr, --node-name, --join host 1).
   * Default: true when etcd runs.
   */
  readonly cluster?: boolean;
  /** Namespace name prefix, 1-12 of [a-z0-9] starting with a letter. Default "tb" + 4 random hex digits. */
  readonly prefix?: string;
  /** More cnmd arguments for a host, after the testbed's own. */
  readonly cnmdArgs?: (host: TestbedHost) => readonly string[];
  /** Told about slow steps (etcd, each host, waits). */
  readonly onProgress?: (message: string) => void;
  /**
   * How many cnmds start (and are purged) at once. Each is a Node process
   * busy with a CPU for most of a second, so more than the CPUs only adds
   * contention. Default: the number of CPUs, at least 2.
   */
  readonly startConcurrency?: number;
}

/** The etcd member's address on the underlay. */
export const ETCD_ADDRESS = underlayAddress(2);
/** Host i (1-based) is 198.51.100.(HOST_ADDRESS_BASE + i). */
export const HOST_ADDRESS_BASE = 10;
const MAX_HOSTS = 254 - HOST_ADDRESS_BASE;

/**
 * The cluster flags cnmd takes (or will take) for this host: every host
 * advertises and binds its underlay address; host 1 joins nobody, the others
 * join host 1.
 */
export function clusterArgs(host: TestbedHost, first: TestbedHost, etcdEndpoint: string | undefined): string[] {
  return [
    ...(etcdEndpoint ? ["--cluster-store", `etcd://${etcdEndpoint}`] : []),
    "--advertise-addr", host.address,
    "--bind-addr", host.address,
    "--node-name", host.name,
    ...(host === first ? [] : ["--join", first.address]),
  ];
}

export class Testbed {
  readonly hosts: TestbedHost[] = [];
  private etcdProcess: EtcdProcess | undefined;
  /** The namespace holding the underlay bridge. */
  readonly underlayNetns: string;
  /** The namespace etcd runs in (when it does). */
  readonly etcdNetns: string;
  private readonly netnsInodes: number[] = [];
  private closing: Promise<void> | undefined;
  private concurrency = Math.max(2, availableParallelism());

  private constructor(
    readonly prefix: string,
    /** Temporary directory: one subdirectory a host (data root, socket, log). */
    readonly dir: string,
    private readonly progress: (message: string) => void,
  ) {
    this.underlayNetns = `${prefix}-u`;
    this.etcdNetns = `${prefix}-e`;
  }

  /** The etcd member on the underlay (ETCD_ADDRESS:2379), when asked for. */
  get etcd(): EtcdProcess | undefined {
    return this.etcdProcess;
  }

  /** Builds the testbed; on any failure removes what it made and rethrows. */
  static async start(options: TestbedOptions): Promise<Testbed> {
    if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > MAX_HOSTS) {
      throw new RangeError(`hosts must be 1-${MAX_HOSTS}, not ${options.hosts}`);
    }
    const prefix = options.prefix ?? freshPrefix();
    if (!/^[a-z][a-z0-9]{0,11}$/.test(prefix)) throw new TypeError(`testbed prefix "${prefix}" must be 1-12 of [a-z0-9], starting with a letter`);
    if (namespacesOf({ prefix, cnmdPrefixes: [] }).length > 0) throw new Error(`namespaces with prefix "${prefix}-" exist already`);
    const bed = new Testbed(prefix, mkdtempSync(join(tmpdir(), `cnm-testbed-${prefix}-`)), options.onProgress ?? (() => {}));
    try {
      await bed.build(options);
    } catch (err) {
      await bed.close().catch((cleanupErr: unknown) => {
        bed.progress(`cleanup after a failed start failed too: ${String(cleanupErr)}`);
      });
      throw err;
    }
    return bed;
  }

  private async build(options: TestbedOptions): Promise<void> {
    if (options.startConcurrency !== undefined) this.concurrency = Math.max(1, options.startConcurrency);
    const started = Date.now();
    await createUnderlay(this.underlayNetns);
    this.remember(this.underlayNetns);
    const cluster = options.cluster ?? options.etcd ?? false;
    for (let i = 1; i <= options.hosts; i++) {
      const name = `h${i}`;
      const dir = join(this.dir, name);
      mkdirSync(dir);
      this.hosts.push(
        new TestbedHost({ index: i, name, netns: `${this.prefix}-${name}`, address: underlayAddress(HOST_ADDRESS_BASE + i), dir }, (host) => [
          ...(cluster ? clusterArgs(host, this.hosts[0]!, this.etcd?.endpoint) : []),
          ...(options.cnmdArgs?.(host) ?? []),
        ]),
      );
    }
    // Two daemons sharing a prefix would take each other's sandboxes for strays.
    const prefixes = new Set(this.hosts.map((h) => h.cnmdPrefix));
    if (prefixes.size !== this.hosts.length) throw new Error("two hosts' data roots hash to the same cnmd prefix; start again");

    const namespaces = this.hosts.map(async (h) => {
      await attachToUnderlay(this.underlayNetns, { netns: h.netns, port: h.name, address: h.address });
      this.remember(h.netns);
    });
    const etcd = options.etcd ? this.startEtcd() : Promise.resolve();
    // All settled before a failure is thrown: close() must not run while etcd is still starting.
    const failed = (await Promise.allSettled([...namespaces, etcd])).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    this.progress(`underlay with ${this.hosts.length} hosts${options.etcd ? " and etcd" : ""} up in ${Date.now() - started} ms`);

    // Host 1 first: in cluster mode the others join it.
    const [first, ...others] = this.hosts;
    await this.startHost(first!);
    await forEachLimited(others, this.concurrency, (h) => this.startHost(h));
    this.progress(`testbed ${this.prefix} ready in ${Date.now() - started} ms`);
  }

  private async startEtcd(): Promise<void> {
    const t = Date.now();
    this.progress(`starting etcd on ${ETCD_ADDRESS}`);
    await attachToUnderlay(this.underlayNetns, { netns: this.etcdNetns, port: "etcd", address: ETCD_ADDRESS });
    this.remember(this.etcdNetns);
    const etcd = await EtcdProcess.start({ host: ETCD_ADDRESS, netns: this.etcdNetns, name: this.prefix });
    this.etcdProcess = etcd;
    this.progress(`etcd serving on ${etcd.endpoint} after ${Date.now() - t} ms`);
  }

  private async startHost(h: TestbedHost): Promise<void> {
    const t = Date.now();
    this.progress(`starting cnmd on ${h.name} (${h.address}, prefix ${h.cnmdPrefix})`);
    await h.startDaemon();
    this.progress(`${h.name} answering after ${Date.now() - t} ms`);
  }

  private remember(netns: string): void {
    this.netnsInodes.push(statSync(join(NETNS_RUN_DIR, netns)).ino);
  }

  /** What identifies this testbed's objects on the machine (for leftovers checks). */
  get footprint(): TestbedFootprint {
    return { prefix: this.prefix, cnmdPrefixes: this.hosts.map((h) => h.cnmdPrefix), netnsInodes: [...this.netnsInodes], dir: this.dir };
  }

  /** What of this testbed remains on the machine (all empty after close()). */
  leftovers(): Leftovers {
    return leftoversOf(this.footprint);
  }

  /**
   * Stops every daemon (SIGTERM) and purges its state (`cnmd --purge`), kills
   * etcd, deletes every namespace and the temporary directory. Idempotent;
   * safe after a start that failed half-way. Every step runs even when one
   * fails; the first failure is thrown at the end.
   */
  close(): Promise<void> {
    this.closing ??= this.teardown();
    return this.closing;
  }

  private async teardown(): Promise<void> {
    const t = Date.now();
    const errors: unknown[] = [];
    const attempt = async (what: string, step: () => Promise<void>) => {
      try {
        await step();
      } catch (err) {
        errors.push(new Error(`${what}: ${errorText(err)}`));
      }
    };
    await forEachLimited(this.hosts, this.concurrency, (h) =>
      attempt(`${h.name}: stopping and purging cnmd`, async () => {
        await h.stopDaemon();
        if (!existsSync(h.dataRoot) || !existsSync(join(NETNS_RUN_DIR, h.netns))) return;
        const purge = await h.daemon.purge();
        if (purge.code !== 0) throw new Error(`cnmd --purge exited with ${purge.code}: ${purge.stderr.slice(-2000)}`);
      }),
    );
    const etcd = this.etcdProcess;
    if (etcd) await attempt("stopping etcd", () => etcd.close());
    // Sandboxes first (their veths' other ends are in the hosts), then the machines, the underlay last.
    const all = namespacesOf(this.footprint);
    const isMachine = (n: string) => n.startsWith(`${this.prefix}-`);
    for (const group of [all.filter((n) => !isMachine(n)), all.filter((n) => isMachine(n) && n !== this.underlayNetns), all.filter((n) => n === this.underlayNetns)]) {
      await Promise.all(group.map((n) => attempt(`deleting namespace ${n}`, () => deleteNamespace(n))));
    }
    await attempt("removing the temporary directory", async () => rmSync(this.dir, { recursive: true, force: true }));
    const left = namespacesOf(this.footprint);
    if (left.length > 0) errors.push(new Error(`namespaces left: ${left.join(", ")}`));
    this.progress(`testbed ${this.prefix} closed in ${Date.now() - t} ms`);
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, `closing testbed ${this.prefix}: ${errors.map(String).join("; ")}`);
  }
}

/** "tb" + 4 hex digits, not the prefix of any namespace present. */
function freshPrefix(): string {
  for (;;) {
    const prefix = `tb${randomBytes(2).toString("hex")}`;
    if (namespacesOf({ prefix, cnmdPrefixes: [] }).length === 0) return prefix;
  }
}

/** Runs `task` on every item, at most `limit` at a time; rejects with the first failure after all settled. */
async function forEachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
