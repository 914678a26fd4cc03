/**
 * The networkdb-test dummy client's table watches: /watchtable starts
 * mirroring a table (every network) from the cluster's events, and
 * /watchedtableentries lists the mirror. Only entries written elsewhere show,
 * since a node's own writes are not reported to its watchers.
 */
import type { NetworkDB, Watch } from "../networkdb/index.js";

export class TableWatches {
  private readonly tables = new Map<string, { watch: Watch; entries: Map<string, string> }>();

  constructor(private readonly db: NetworkDB) {}

  /** Start mirroring `table` (a no-op when already watched). */
  watch(table: string): void {
    if (this.tables.has(table)) return;
    const entries = new Map<string, string>();
    const watch = this.db.watch(table, undefined, (event) => {
      if (event.type === "delete") entries.delete(event.key);
      else entries.set(event.key, Buffer.from(event.value).toString("utf8"));
    });
    this.tables.set(table, { watch, entries });
  }

  /** The mirror of a watched table (key -> value as text), or undefined. */
  entries(table: string): ReadonlyMap<string, string> | undefined {
    return this.tables.get(table)?.entries;
  }

  closeAll(): void {
    for (const { watch } of this.tables.values()) watch.close();
    this.tables.clear();
  }
}
