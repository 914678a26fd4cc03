import type { GlobalNetworkChange } from "../../controllerapi/index.js";
import { errorText } from "../../log/index.js";
import type { ControllerContext } from "../context.js";

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
  let failures = 0;
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
      if (!synced && failures > 0) ctx.log.info(`cluster store reached: following its global networks`);
      synced = true;
    } catch (err) {
      if (closed) return;
      // Said once per outage, then quietly: the store's own 503s tell each caller meanwhile.
      if (failures++ === 0) ctx.log.warn(`cluster store not reached, retrying every ${RETRY_MS} ms: ${errorText(err)}`);
      else ctx.log.debug(`cluster store still not reached: ${errorText(err)}`);
      timer = setTimeout(() => void attach(), RETRY_MS);
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

/**
 * Follows the global store: every host lists every global network. A record
 * this host holds already (it made it, or restored it) is kept as it is.
 */
function applyGlobalChange(ctx: ControllerContext, change: GlobalNetworkChange): void {
  if (change.type === "put") {
    if (!ctx.networks.has(change.record.id)) ctx.networks.set(change.record.id, change.record);
    return;
  }
  // Deletion is refused while any host has endpoints, so a network deleted
  // elsewhere has none here; one still live here is one being released.
  if (!ctx.liveNetworks.has(change.id)) ctx.networks.delete(change.id);
  else ctx.deletedElsewhere.add(change.id);
}
