/**
 * Deleting an endpoint its sandbox has already left (disconnect, sandbox
 * removal). By then what the caller asked for is done: the sandbox is off
 * the network, its interface and peer records are gone. What may still fail
 * is the endpoint's bookkeeping in the cluster store (its address, its
 * registration) while the store is away or slower than a call's deadline.
 *
 * Failing the operation there would strand an endpoint no sandbox holds: no
 * disconnect reaches it (the sandbox is not connected any more), it keeps its
 * name taken (the sandbox cannot connect again) and the network undeletable,
 * until a restart cleans it. So the deletion is finished in the background
 * instead, retried until the store answers, and the operation succeeds.
 */
import { UnavailableError } from "../errors.js";
import type { ControllerContext } from "./context.js";
import { deleteEndpoint } from "./endpoint-ops.js";
import type { EndpointRecord } from "./records.js";

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 10_000;

/** The endpoints whose deletion waits for the cluster store, and their retry timers (stopped by close()). */
export class PendingDeletions {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly ids = new Set<string>();
  private closed = false;

  /** Runs `attempt` for endpoint `eid` after `delayMs` unless closed first. */
  schedule(eid: string, delayMs: number, attempt: () => void): void {
    if (this.closed) return;
    this.ids.add(eid);
    const timer = setTimeout(() => {
      this.timers.delete(eid);
      attempt();
    }, delayMs);
    timer.unref();
    this.timers.set(eid, timer);
  }

  /** True while the endpoint's deletion is still to be finished. */
  has(eid: string): boolean {
    return this.ids.has(eid);
  }

  /** The endpoint is gone (or will not be retried): forget it. */
  settle(eid: string): void {
    this.ids.delete(eid);
    const timer = this.timers.get(eid);
    if (timer) clearTimeout(timer);
    this.timers.delete(eid);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.ids.clear();
  }
}

/** deleteEndpoint for an endpoint already left; a cluster store failure defers the rest instead of failing. */
export async function deleteLeftEndpoint(ctx: ControllerContext, ep: EndpointRecord): Promise<void> {
  try {
    await deleteEndpoint(ctx, ep);
  } catch (err) {
    if (!(err instanceof UnavailableError)) throw err;
    retryLater(ctx, ep, FIRST_RETRY_MS);
  }
}

/**
 * Finishes the deletion of a left endpoint now, when one is pending: what a
 * connect under the same name does first, so it meets the store's real state
 * (a 503 while it is still away) rather than a name taken by a ghost.
 */
export async function finishPendingDeletion(ctx: ControllerContext, ep: EndpointRecord): Promise<void> {
  if (!ctx.pendingDeletions.has(ep.id)) return;
  await deleteEndpoint(ctx, ep);
  ctx.pendingDeletions.settle(ep.id);
}

function retryLater(ctx: ControllerContext, ep: EndpointRecord, delayMs: number): void {
  ctx.pendingDeletions.schedule(ep.id, delayMs, () => {
    if (!ctx.endpoints.has(ep.id)) {
      ctx.pendingDeletions.settle(ep.id); // finished by a connect under its name
      return;
    }
    deleteEndpoint(ctx, ep).then(
      () => ctx.pendingDeletions.settle(ep.id),
      (err: unknown) => {
        // Anything but the store being away would fail the same way again; a restart's restore cleans it.
        if (err instanceof UnavailableError && ctx.endpoints.has(ep.id)) retryLater(ctx, ep, Math.min(delayMs * 2, MAX_RETRY_MS));
        else ctx.pendingDeletions.settle(ep.id);
      },
    );
  });
}
