import { errorText } from "../../log/index.js";
import type { FollowContext } from "./door-context.js";
import { ContainerNames } from "./container-names.js";
import { EndpointReconciler } from "./endpoint-reconcile.js";
import { EngineUnreachableError, type EventSubscription } from "./engine-client.js";
import { NetworkSync } from "./network-sync.js";

export interface EngineFollowerOptions extends FollowContext {
  /** Between passes over the networks. Default 1 s. */
  readonly intervalMs?: number;
  /** Between passes of the endpoint reconciliation (the first comes as dockerd answers). Default 10 s. */
  readonly reconcileMs?: number;
}

/**
 * Follows this host's dockerd through its API, for as long as cnmd runs:
 * global networks to and from it (NetworkSync), container names from its
 * events (ContainerNames), and endpoints of containers it forgot
 * (EndpointReconciler). A dockerd that is not there (yet, or any more) is
 * waited for quietly; cnmd without Docker pays one failed connect a second.
 */
export function followEngine(o: EngineFollowerOptions): { close(): void } {
  const sync = new NetworkSync(o);
  const names = new ContainerNames(o);
  const reconciler = new EndpointReconciler(o);
  const interval = o.intervalMs ?? 1000;
  const reconcileEvery = Math.max(1, Math.round((o.reconcileMs ?? 10_000) / interval));
  let events: EventSubscription | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let ticks = 0;

  const subscribe = async (): Promise<void> => {
    const sub = o.docker.events({ type: ["network"], event: ["connect"] }, (e) => {
      const container = e.Actor.Attributes.container;
      if (container) names.learn(container).catch((err: unknown) => o.log.debug(`names of container ${container.slice(0, 12)}: ${errorText(err)}`));
    });
    try {
      await sub.ready;
    } catch (err) {
      sub.close();
      throw err;
    }
    if (closed) {
      sub.close();
      return;
    }
    events = sub;
    void sub.ended.then(() => {
      if (events === sub) events = undefined;
    });
    // Whatever happened before the stream opened.
    await names.learnAll();
    o.log.info(`following dockerd at unix://${o.docker.socketPath}`);
  };

  const tick = async (): Promise<void> => {
    try {
      if (!events) {
        await subscribe();
        ticks = 0;
      }
      await sync.pass();
      if (ticks++ % reconcileEvery === 0) await reconciler.pass();
    } catch (err) {
      if (err instanceof EngineUnreachableError) {
        if (events) o.log.warn(`lost dockerd at unix://${o.docker.socketPath}; waiting for it`);
        events?.close();
        events = undefined;
      } else {
        o.log.warn(`following dockerd: ${errorText(err)}`);
      }
    }
  };

  const loop = (): void => {
    if (closed) return;
    void tick().finally(() => {
      if (!closed) timer = setTimeout(loop, interval);
    });
  };
  loop();
  return {
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      events?.close();
    },
  };
}
