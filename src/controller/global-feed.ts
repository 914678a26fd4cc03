import type { ControllerContext } from "./context.js";
import { applyGlobalChange } from "./global-networks.js";

/** The controller's subscription to the global store's networks. */
export interface GlobalFeed {
  /** True once the store's networks have been read at least once. */
  readonly synced: boolean;
  close(): void;
}

/** How long to wait before trying an unreachable store again. */
const RETRY_MS = 1000;

/**
 * Reads the cluster's global networks into ctx.networks and follows their
 * changes. When the store cannot be reached, the host starts anyway (its
 * local networks work) and the feed tries again every second; global
 * operations meanwhile fail with the store's own UnavailableError.
 */
export async function followGlobalStore(ctx: ControllerContext): Promise<GlobalFeed> {
  const store = ctx.globalStore!;
  let closed = false;
  let synced = false;
  let stop: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;

  const attach = async (): Promise<void> => {
    try {
      const feed = await store.watchNetworks((change) => applyGlobalChange(ctx, change));
      if (closed) return feed.close();
      stop = () => feed.close();
      const present = new Set(feed.networks.map((n) => n.id));
      for (const net of feed.networks) applyGlobalChange(ctx, { type: "put", record: net });
      // Deleted while this host was not following: drop what no endpoint here holds.
      for (const net of [...ctx.networks.values()]) {
        if (net.scope !== "local" && !present.has(net.id)) applyGlobalChange(ctx, { type: "delete", id: net.id });
      }
      synced = true;
    } catch {
      if (!closed) timer = setTimeout(() => void attach(), RETRY_MS);
    }
  };
  await attach();
  return {
    get synced() {
      return synced;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      stop?.();
    },
  };
}
