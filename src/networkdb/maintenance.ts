/**
 * NetworkDB's periodic work (Docker's clusterInit triggers), each task on
 * its own ticker with a random first delay so that nodes started together
 * do not act in step:
 *
 *  - reap (reapPeriod): purge tombstones whose time has come, forget left
 *    network attachments after reapNetworkInterval;
 *  - gossip (gossipInterval): the per-network gossip round (gossip.ts);
 *  - bulk sync (bulkSyncInterval): the periodic anti-entropy (bulk-sync.ts);
 *  - reconnect (retryInterval): try to reach one failed node again (or one
 *    revived by gossip before we reached it); if it answers, it is back
 *    (memberlist revives it), and a bulk sync follows;
 *  - node reap (nodeReapPeriod): forget nodes failed or left for
 *    nodeReapInterval;
 *  - rejoin (rejoinInterval): when no bootstrap node is a member any more,
 *    join them again (heals a cluster split by a full restart);
 *  - stats and health lines in the log.
 */
import { isIP } from "node:net";
import type { BulkSyncer } from "./bulk-sync.js";
import type { Context } from "./context.js";
import { memberlistOf } from "./context.js";
import { MembershipEventType } from "./codec.js";
import { gossipRound } from "./gossip.js";
import { joinHostPort, sleep, splitHostPort, startTicker, type TimerHandle } from "./memberlist/index.js";

export interface MaintenanceHooks {
  /** Gossip a node event about ourselves and wait for it to go out (or time out). */
  sendNodeEvent(type: number): Promise<void>;
  /** The bootstrap addresses last given to join(). */
  bootstrap(): readonly string[];
}

export class Maintenance {
  private tickers: TimerHandle[] = [];

  constructor(
    private readonly ctx: Context,
    private readonly syncer: BulkSyncer,
    private readonly hooks: MaintenanceHooks,
  ) {}

  start(): void {
    const { config } = this.ctx;
    this.every(config.reapPeriod, () => this.reap());
    this.every(config.gossipInterval, () => gossipRound(this.ctx));
    this.every(config.bulkSyncInterval, () => this.syncer.syncTables());
    this.every(config.retryInterval, () => this.reconnect());
    this.every(config.nodeReapPeriod, () => this.reapNodes());
    this.every(config.rejoinInterval, () => this.rejoinBootstrap());
    this.every(config.statsInterval, () => this.logStats());
    this.every(config.healthInterval, () => this.logHealth());
  }

  stop(): void {
    for (const t of this.tickers) t.cancel();
    this.tickers = [];
  }

  private every(interval: number, fn: () => void | Promise<void>): void {
    if (!(interval > 0) || !Number.isFinite(interval)) return;
    const { ctx } = this;
    const stagger = Math.floor(ctx.random() * interval) + 1;
    const onError = (err: unknown): void =>
      ctx.logger.error(`networkdb ${ctx.self}: periodic task failed: ${(err as Error).stack ?? String(err)}`);
    this.tickers.push(
      startTicker(ctx.clock, interval, stagger, () => (ctx.closed ? undefined : fn()), onError),
    );
  }

  /** Purge due tombstones and left network attachments. */
  reap(): void {
    const { ctx } = this;
    const now = ctx.clock.now();
    ctx.store.purge(now, (nid, owner) => {
      const mine = ctx.networks.local(nid);
      return mine !== undefined && !mine.leaving && ctx.networks.hasNode(nid, owner);
    });
    for (const nid of ctx.networks.reap(now)) {
      ctx.logger.debug(`networkdb ${ctx.self}: forgot left network ${nid}`);
    }
  }

  /**
   * Try to reach one random failed node, or one revived without us; if it
   * answers, bulk sync with it.
   *
   * cnm: Docker reconnects failed nodes only. But when a partition heals,
   * most nodes see the other side come back through memberlist gossip
   * (another node reconnected it first) before their own reconnect picks
   * it, and they never sync with it: its network attachments, dropped when
   * it failed, come back only with a memberlist push/pull (every 30 s), and
   * its entries, refused until then (owner not in the network), only with
   * the next periodic bulk sync (another 30 s). Measured across
   * networkdb-node processes: 14 to 44 s to converge after a 2 | 3 split.
   * A revived node stays a candidate here until we have pushed/pulled
   * (its attachments) and bulk synced (its entries) with it ourselves: at
   * most one node a retryInterval, as Docker's reconnect.
   */
  async reconnect(): Promise<void> {
    const { ctx } = this;
    const candidates = ctx.nodes.all().filter((n) => n.state === "failed" || (n.state === "active" && n.resyncPending));
    if (candidates.length === 0) return;
    const pick = candidates[Math.floor(ctx.random() * candidates.length)]!;
    const name = pick.node.name;
    const ml = memberlistOf(ctx);
    try {
      await ml.join([joinHostPort(pick.node.addr, pick.node.port)]);
    } catch (err) {
      // Still unreachable: the next reconnect round tries again (or another node).
      ctx.logger.debug(`networkdb ${ctx.self}: reconnecting to ${name} failed: ${(err as Error).message}`);
      return;
    }
    await this.hooks.sendNodeEvent(MembershipEventType.Join);
    ctx.logger.debug(`networkdb ${ctx.self}: bulk sync with ${name} after reconnecting`);
    await this.syncer.syncWithAll([name]);
    // Best effort, as Docker's reconnect: the periodic bulk sync covers a failed sync.
    const after = ctx.nodes.get(name);
    if (after !== undefined && after.state === "active") after.resyncPending = false;
  }

  /** Forget nodes failed or left long ago. */
  reapNodes(): void {
    const { ctx } = this;
    for (const name of ctx.nodes.reap(ctx.clock.now())) {
      ctx.logger.debug(`networkdb ${ctx.self}: forgot node ${name}`);
      ctx.store.forgetOwner(name);
    }
  }

  /**
   * If none of the bootstrap nodes (IP addresses) is an active member any
   * more, join them again, retrying for rejoinClusterDuration.
   */
  async rejoinBootstrap(): Promise<void> {
    const { ctx } = this;
    const self = ctx.nodes.get(ctx.self);
    if (self === undefined) return;
    const candidates: string[] = [];
    for (const addr of this.hooks.bootstrap()) {
      let host = addr;
      if (isIP(addr) === 0) {
        try {
          host = splitHostPort(addr).host;
        } catch (err) {
          // Neither an IP nor IP:port: not an address this check can compare with the members'.
          ctx.logger.debug(`networkdb ${ctx.self}: bootstrap address ${addr} not checked: ${(err as Error).message}`);
          continue;
        }
      }
      if (isIP(host) === 0) continue;
      const member = ctx.nodes
        .active()
        .some((n) => n.node.addr === host && n.node.addr !== self.node.addr);
      if (member) return;
      candidates.push(addr);
    }
    if (candidates.length === 0) return;
    ctx.logger.info(`networkdb ${ctx.self}: no bootstrap node is a member, joining ${candidates.join(", ")} again`);
    const ml = memberlistOf(ctx);
    const deadline = ctx.clock.now() + ctx.config.rejoinClusterDuration;
    while (!ctx.closed && ctx.clock.now() < deadline) {
      await sleep(ctx.clock, ctx.config.retryInterval);
      try {
        await ml.join(candidates);
      } catch (err) {
        ctx.logger.debug(`networkdb ${ctx.self}: joining ${candidates.join(", ")} again failed, retrying: ${(err as Error).message}`);
        continue;
      }
      await this.hooks.sendNodeEvent(MembershipEventType.Join);
      return;
    }
  }

  private logStats(): void {
    const { ctx } = this;
    const periodSeconds = ctx.config.statsInterval / 1000;
    for (const n of ctx.networks.localNetworks()) {
      ctx.logger.info(
        `networkdb stats ${ctx.config.hostname}(${ctx.self}) - netID:${n.id} leaving:${n.leaving} ` +
          `netPeers:${ctx.networks.countOf(n.id)} entries:${ctx.store.countNetwork(n.id)} ` +
          `queue qLen:${n.tableBroadcasts.numQueued()} netMsg/s:${Math.floor(n.messagesSent / periodSeconds)}`,
      );
      n.messagesSent = 0;
    }
  }

  private logHealth(): void {
    const { ctx } = this;
    const score = ctx.ml?.getHealthScore() ?? 0;
    if (score !== 0) {
      ctx.logger.warn(`networkdb ${ctx.self}: health score ${score} (connectivity issues)`);
    }
  }
}
