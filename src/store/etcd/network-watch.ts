/**
 * A snapshot of the network records and every change after it, in etcd's
 * order, surviving etcd restarts and lost streams without losing or
 * repeating a change.
 *
 * The watch starts at the snapshot's revision + 1. Each change carries its
 * revision; the next one expected is remembered, events below it (a replay
 * after a reconnect) are dropped, and every (re)subscription asks for exactly
 * that revision: etcd3's watcher would resume from the last *response*
 * header, which can lie past events not yet delivered. If that revision has
 * been compacted away, etcd cancels the watch; then the records are listed
 * again, the difference to what the listener was told is replayed as puts
 * and deletes, and a new watch starts after the listing.
 */
import type { IWatchResponse, Watcher } from "etcd3";
import type { GlobalNetworkChange } from "../../controllerapi/index.js";
import type { NetworkRecord } from "../../controllerapi/index.js";
import type { ClusterStore } from "./client.js";
import { errorText } from "../../log/index.js";
import { parseRecord } from "./record-codec.js";

const RESYNC_RETRY_MS = 500;

export class NetworkWatch {
  /** Mod revision of every record the listener knows, by network id. */
  private readonly known = new Map<string, string>();
  private nextRevision = 0n;
  private watcher: Watcher | undefined;
  private closed = false;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ClusterStore,
    /** Relative prefix of the records, e.g. "networks/id/". */
    private readonly prefix: string,
    private readonly listener: (change: GlobalNetworkChange) => void,
  ) {}

  /** Lists the records (UnavailableError when etcd is down) and starts watching after them. */
  async start(): Promise<NetworkRecord[]> {
    const res = await this.store.rangePrefix(this.prefix);
    const networks = res.kvs.map((kv) => {
      this.known.set(this.idOf(kv.key), kv.mod_revision);
      return parseRecord(kv.value);
    });
    this.subscribe(BigInt(res.header.revision) + 1n);
    return networks;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.resyncTimer);
    this.unsubscribe();
  }

  private idOf(key: Buffer): string {
    return decodeURIComponent(this.store.relative(key).slice(this.prefix.length));
  }

  private subscribe(from: bigint): void {
    this.nextRevision = from;
    const watcher = this.store.client.watch().prefix(this.store.root + this.prefix).startRevision(String(from)).watcher();
    this.watcher = watcher;
    // Every (re)subscription resumes at the first change not yet delivered.
    // (etcd3 sends watcher.request itself right after this event.)
    watcher.on("connecting", () => {
      watcher.request.start_revision = String(this.nextRevision);
    });
    watcher.on("data", (res: IWatchResponse) => this.deliver(res));
    // Canceled by etcd: its history no longer reaches back far enough (compaction).
    watcher.on("error", (err: unknown) => {
      if (this.watcher !== watcher) return;
      this.store.log.info(`etcd: the watch of ${this.prefix} ended (${errorText(err)}); listing the records again`);
      this.unsubscribe();
      this.resync();
    });
    // Nothing to do: etcd3 reconnects with backoff, via 'connecting'. Said, for whoever reads why changes paused.
    watcher.on("disconnected", () => this.store.log.debug(`etcd: the watch of ${this.prefix} lost its stream; reconnecting`));
  }

  private unsubscribe(): void {
    const watcher = this.watcher;
    this.watcher = undefined;
    if (watcher) {
      watcher.removeAllListeners("data");
      // A dead etcd leaves nothing to cancel: the watch is gone either way.
      watcher.cancel().catch((err: unknown) => this.store.log.debug(`etcd: cancelling the watch of ${this.prefix}: ${errorText(err)}`));
    }
  }

  private deliver(res: IWatchResponse): void {
    if (this.closed) return;
    let last = this.nextRevision - 1n;
    for (const ev of res.events) {
      const revision = BigInt(ev.kv.mod_revision);
      if (revision < this.nextRevision) continue; // replayed after a reconnect
      if (revision > last) last = revision;
      const id = this.idOf(ev.kv.key);
      if (ev.type === "Put") {
        this.known.set(id, ev.kv.mod_revision);
        const record = this.tryParse(id, ev.kv.value);
        if (record) this.emit({ type: "put", record });
      } else {
        this.known.delete(id);
        this.emit({ type: "delete", id });
      }
    }
    this.nextRevision = last + 1n;
  }

  /** List again, tell the listener what changed meanwhile, and watch from there; retried until etcd answers. */
  private resync(): void {
    if (this.closed) return;
    this.store
      .rangePrefix(this.prefix)
      .then((res) => {
        if (this.closed) return;
        const seen = new Set<string>();
        for (const kv of res.kvs) {
          const id = this.idOf(kv.key);
          seen.add(id);
          if (this.known.get(id) === kv.mod_revision) continue;
          this.known.set(id, kv.mod_revision);
          const record = this.tryParse(id, kv.value);
          if (record) this.emit({ type: "put", record });
        }
        for (const id of [...this.known.keys()]) {
          if (seen.has(id)) continue;
          this.known.delete(id);
          this.emit({ type: "delete", id });
        }
        this.subscribe(BigInt(res.header.revision) + 1n);
      })
      .catch((err: unknown) => {
        // etcd is away (UnavailableError): the listing is retried until it answers.
        this.store.log.warn(`etcd: listing ${this.prefix} again failed (${errorText(err)}); retrying in ${RESYNC_RETRY_MS} ms`);
        this.resyncTimer = setTimeout(() => this.resync(), RESYNC_RETRY_MS);
      });
  }

  private emit(change: GlobalNetworkChange): void {
    try {
      this.listener(change);
    } catch (err) {
      // A listener's bug must not stop the watch (nor, via etcd3, crash the process).
      const what = change.type === "put" ? `put of network ${change.record.id}` : `delete of network ${change.id}`;
      this.store.log.error(`etcd: the listener of ${this.prefix} failed on the ${what}: ${errorText(err)}`);
    }
  }

  /** A record that does not parse is skipped: throwing here would escape into etcd3's stream handling. */
  private tryParse(id: string, value: Buffer): NetworkRecord | undefined {
    try {
      return parseRecord(value);
    } catch (err) {
      // Another host (or a hand) wrote what no cnm can read: this host does not see that network.
      this.store.log.error(`etcd: network ${id} skipped: ${errorText(err)}`);
      return undefined;
    }
  }
}
