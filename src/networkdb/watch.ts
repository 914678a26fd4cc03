/**
 * Watching tables: a watcher names a table and/or network (and optionally a
 * key; undefined is a wildcard) and receives every create, update and
 * delete this node learns of from the cluster: entries written by other
 * nodes, and entries removed because their owner left the network or the
 * cluster. A node's own writes are not reported to its own watchers (the
 * driver contract: eventNotify is for changes made elsewhere).
 *
 * Events are delivered in the order they happened, never inside the call
 * that caused them (a microtask later), so a listener may call back into
 * NetworkDB. Each watcher has an unbounded queue, as Docker's: a watcher
 * that never reads keeps everything; close() it when done.
 *
 * As in Docker, cluster membership changes are reported too, in the table
 * "NodeTable" with no network: create when a node joins, delete when it
 * leaves or fails, the value being JSON {"Addr":"<ip>"}.
 */

import type { Logger } from "./memberlist/logger.js";

export type WatchEventType = "create" | "update" | "delete";

export interface WatchEvent {
  type: WatchEventType;
  table: string;
  /** The network ("" for NodeTable events). */
  nid: string;
  key: string;
  /** The new value (create, update) or the last one (delete). */
  value: Uint8Array;
}

/** Docker's table name for cluster membership events. */
export const NODE_TABLE = "NodeTable";

export interface WatchFilter {
  table?: string | undefined;
  nid?: string | undefined;
  key?: string | undefined;
}

/**
 * One watcher: an async iterable of events, or a callback. Iterate it (for
 * await) or pass a listener to NetworkDB.watch, not both.
 */
export class Watch implements AsyncIterable<WatchEvent> {
  private readonly queue: WatchEvent[] = [];
  private waiter: ((r: IteratorResult<WatchEvent>) => void) | undefined;
  private closed = false;

  /** @internal */
  constructor(
    readonly filter: Readonly<WatchFilter>,
    private readonly listener: ((event: WatchEvent) => void) | null,
    private readonly onClose: (w: Watch) => void,
  ) {}

  /** True when `event` passes this watcher's filter. */
  matches(event: WatchEvent): boolean {
    const f = this.filter;
    return (
      (f.table === undefined || f.table === event.table) &&
      (f.nid === undefined || f.nid === event.nid) &&
      (f.key === undefined || f.key === event.key)
    );
  }

  /** @internal Deliver one event (already filtered). */
  deliver(event: WatchEvent): void {
    if (this.closed) return;
    if (this.listener !== null) {
      this.listener(event);
      return;
    }
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w({ value: event, done: false });
    } else {
      this.queue.push(event);
    }
  }

  /** Events received and not yet read (iteration mode). */
  get pending(): number {
    return this.queue.length;
  }

  /** The next event; resolves with done once the watcher is closed. */
  next(): Promise<IteratorResult<WatchEvent>> {
    const e = this.queue.shift();
    if (e !== undefined) return Promise.resolve({ value: e, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter !== undefined) return Promise.reject(new Error("watch: concurrent next()"));
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Stop receiving; a pending next() resolves with done. Queued events are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClose(this);
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** All watchers of one NetworkDB, and the ordered, deferred delivery of events to them. */
export class WatchHub {
  private readonly watchers = new Set<Watch>();
  private pending: WatchEvent[] = [];
  private scheduled = false;
  /** Events emitted since creation (diagnostics). */
  emitted = 0;

  /** `logger` hears of listeners that throw. */
  constructor(private readonly logger: Logger) {}

  /** Add a watcher. */
  watch(filter: WatchFilter, listener: ((event: WatchEvent) => void) | null): Watch {
    const w = new Watch({ ...filter }, listener, (x) => this.watchers.delete(x));
    this.watchers.add(w);
    return w;
  }

  /** Number of open watchers. */
  get size(): number {
    return this.watchers.size;
  }

  /** Report a change to the watchers (delivered a microtask later, in order). */
  emit(type: WatchEventType, table: string, nid: string, key: string, value: Uint8Array): void {
    this.emitted++;
    if (this.watchers.size === 0) return;
    this.pending.push({ type, table, nid, key, value });
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const events = this.pending;
    this.pending = [];
    for (const event of events) {
      for (const w of this.watchers) {
        if (!w.matches(event)) continue;
        try {
          w.deliver(event);
        } catch (err) {
          // A listener's failure is its own: the others still get the event.
          this.logger.warn(
            `networkdb: a watcher of ${event.table}/${event.nid} failed on the ${event.type} of ${event.key}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
    }
  }

  /** Close every watcher. */
  closeAll(): void {
    for (const w of [...this.watchers]) w.close();
  }
}
