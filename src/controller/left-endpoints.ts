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

/** The deletions waiting for the cluster store, so close() can stop them. */
export class PendingDeletions {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Runs `attempt` after `delayMs` unless closed first. */
  schedule(delayMs: number, attempt: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      attempt();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  get size(): number {
    return this.timers.size;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
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

function retryLater(ctx: ControllerContext, ep: EndpointRecord, delayMs: number): void {
  ctx.pendingDeletions.schedule(delayMs, () => {
    if (!ctx.endpoints.has(ep.id) || ep.sandboxId !== undefined) return; // gone, or taken up again meanwhile
    deleteEndpoint(ctx, ep).catch((err: unknown) => {
      // Anything but the store being away would fail the same way again; a restart's restore cleans it.
      if (err instanceof UnavailableError) retryLater(ctx, ep, Math.min(delayMs * 2, MAX_RETRY_MS));
    });
  });
}
