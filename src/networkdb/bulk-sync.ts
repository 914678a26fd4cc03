/**
 * Bulk sync (Docker's bulkSync/bulkSyncNode/handleBulkSync): a node sends
 * every entry of some networks, live ones as CREATE and tombstones as DELETE
 * with their remaining life, to one peer over TCP (memberlist sendReliable);
 * the peer applies them and, when the message was "unsolicited" (the
 * initiator's), answers with its own entries of the same networks on a new
 * connection. Done when this node joins a network (with a few peers), when
 * a failed node is reached again, and every bulkSyncInterval with one
 * random peer per network: the anti-entropy that repairs whatever gossip
 * lost.
 *
 * cnm splits a large sync into several messages of at most
 * bulkSyncChunkBytes of payload, each a complete BULK_SYNC (so a Go peer
 * applies each as it comes), walking the store lazily: memory stays
 * bounded on both ends whatever the table size, and no message comes near
 * memberlist's 10 MiB stream limit. Only the last chunk is marked
 * unsolicited, so a peer answers once, after it has everything.
 */
import type { Context } from "./context.js";
import { memberlistOf, randomPeers } from "./context.js";
import {
  TableEventType,
  compoundPartSize,
  encodeBulkSyncMessage,
  encodeCompound,
  encodeTableEventMessage,
  type BulkSyncFields,
} from "./codec.js";
import { deferred, withTimeout, type Deferred } from "./memberlist/index.js";
import { valueBytes, type TableEntry } from "./tables.js";

/** How long an answer to a bulk sync from a not yet known node may wait for it to become known. */
const ANSWER_PATIENCE = 10_000;
/** How often it checks. */
const ANSWER_RETRY = 100;

export class BulkSyncer {
  /** Initiated syncs waiting for the peer's answer, by peer name. */
  private readonly waiting = new Map<string, Deferred<void>>();

  constructor(private readonly ctx: Context) {}

  /**
   * Periodic sync (Docker's bulkSyncTables): for each of our networks, sync
   * with one random peer (a second if the first fails); a sync covers every
   * network we share with that peer, so those are done too.
   */
  async syncTables(): Promise<void> {
    const { ctx } = this;
    let pending = ctx.networks
      .localNetworks()
      .filter((n) => !n.leaving)
      .map((n) => n.id);
    while (pending.length > 0 && !ctx.closed) {
      const nid = pending.shift()!;
      const peers = ctx.networks.peersOf(nid);
      if (peers.length <= 1) continue;
      const completed = await this.syncWithSome(peers);
      if (completed === null) {
        ctx.logger.warn(`networkdb ${ctx.self}: periodic bulk sync for network ${nid} failed`);
        continue;
      }
      pending = pending.filter((n) => !completed.includes(n));
    }
  }

  /** Sync with the first of two random peers that works; returns the networks synced, or null. */
  private async syncWithSome(peers: readonly string[]): Promise<string[] | null> {
    const { ctx } = this;
    for (const peer of randomPeers(ctx.random, peers, 2, ctx.self)) {
      const networks = ctx.networks.commonNetworks(peer);
      try {
        await this.syncNode(networks, peer, true);
        return networks;
      } catch (err) {
        ctx.counters.bulkSyncFailures++;
        ctx.logger.warn(`networkdb ${ctx.self}: bulk sync to ${peer} failed: ${(err as Error).message}`);
      }
    }
    return null;
  }

  /** Sync every shared network with each of `peers`, in parallel; resolves when all are done or failed. */
  async syncWithAll(peers: readonly string[]): Promise<void> {
    const { ctx } = this;
    await Promise.all(
      peers
        .filter((p) => p !== ctx.self)
        .map((peer) =>
          this.syncNode(ctx.networks.commonNetworks(peer), peer, true).catch((err: unknown) => {
            ctx.counters.bulkSyncFailures++;
            ctx.logger.warn(`networkdb ${ctx.self}: bulk sync to ${peer} failed: ${(err as Error).message}`);
          }),
        ),
    );
  }

  /**
   * The join-time sync of `nid`, with up to joinSyncPeers random peers of
   * the network at once. Resolves as soon as one of them has answered (any
   * node of the network holds its whole table), or when all have failed or
   * timed out; the others go on in the background.
   */
  syncOnJoin(nid: string): Promise<void> {
    const { ctx } = this;
    const peers = randomPeers(ctx.random, ctx.networks.peersOf(nid), ctx.config.joinSyncPeers, ctx.self);
    if (peers.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = peers.length;
      for (const peer of peers) {
        this.syncNode(ctx.networks.commonNetworks(peer), peer, true)
          .then(
            (answered) => {
              if (answered) resolve();
            },
            (err: unknown) => {
              ctx.counters.bulkSyncFailures++;
              ctx.logger.warn(`networkdb ${ctx.self}: bulk sync to ${peer} failed: ${(err as Error).message}`);
            },
          )
          .finally(() => {
            if (--left === 0) resolve();
          });
      }
    });
  }

  /**
   * Send our entries of `networks` to `peer` (Docker's bulkSyncNode). When
   * `unsolicited`, wait (up to bulkSyncTimeout) for the peer's answer.
   * Resolves true when sent (and answered, if unsolicited), false when the
   * peer is not an active member or the answer timed out; rejects when a
   * message cannot be sent. Every message carries our whole table of those
   * networks, so whoever receives one holds our entries (NetworkDB relies
   * on it: see networkJoinSeen).
   */
  async syncNode(networks: readonly string[], peer: string, unsolicited: boolean): Promise<boolean> {
    const { ctx } = this;
    const target = ctx.nodes.get(peer);
    // Only active members are synced with (as Docker: a failed node is reconnected first).
    if (target === undefined || target.state !== "active" || ctx.closed) return false;
    const ml = memberlistOf(ctx);
    const chunkBytes = ctx.config.bulkSyncChunkBytes;
    const send = async (parts: Uint8Array[], last: boolean): Promise<void> => {
      const msg = encodeBulkSyncMessage({
        ltime: ctx.clocks.table.time(),
        unsolicited: last && unsolicited,
        node: ctx.self,
        networks: [...networks],
        payload: encodeCompound(parts),
      });
      ctx.counters.bulkSyncsSent++;
      ctx.counters.bulkSyncBytesSent += msg.length;
      ctx.counters.bulkSyncLargestSent = Math.max(ctx.counters.bulkSyncLargestSent, msg.length);
      await ml.sendReliable(target.node, msg);
    };

    let parts: Uint8Array[] = [];
    let size = 0;
    for (const nid of networks) {
      for (const [table, key, entry] of ctx.store.network(nid)) {
        if (entry.orphan === true) continue; // a local trace, not a delete
        const msg = this.entryMessage(nid, table, key, entry);
        const part = compoundPartSize(msg.length);
        if (parts.length > 0 && size + part > chunkBytes) {
          await send(parts, false);
          parts = [];
          size = 0;
        }
        parts.push(msg);
        size += part;
      }
    }

    let answer: Deferred<void> | undefined;
    if (unsolicited) {
      answer = deferred<void>();
      this.waiting.get(peer)?.resolve();
      this.waiting.set(peer, answer);
    }
    try {
      await send(parts, true);
    } catch (err) {
      if (answer !== undefined && this.waiting.get(peer) === answer) this.waiting.delete(peer);
      throw err;
    }
    if (answer === undefined) return true;
    const done = await withTimeout(ctx.clock, answer.promise.then(() => true), ctx.config.bulkSyncTimeout);
    if (this.waiting.get(peer) === answer) this.waiting.delete(peer);
    if (done !== true) ctx.logger.warn(`networkdb ${ctx.self}: bulk sync to ${peer} timed out waiting for its answer`);
    return done === true;
  }

  /** A live entry as CREATE (even after updates), a tombstone as DELETE with its remaining life. */
  private entryMessage(nid: string, table: string, key: string, entry: TableEntry): Uint8Array {
    let residual = 0;
    if (entry.deleting) {
      // At least 1 s: 0 would make the receiver assume the full interval.
      residual = Math.max(1, Math.min(0x7fffffff, Math.trunc((entry.reapAt - this.ctx.clock.now()) / 1000)));
    }
    return encodeTableEventMessage({
      type: entry.deleting ? TableEventType.Delete : TableEventType.Create,
      ltime: entry.ltime,
      node: entry.owner,
      nid,
      table,
      key,
      value: valueBytes(entry.value),
      residualReapTime: residual,
    });
  }

  /**
   * A BULK_SYNC arrived (its entries applied): an answer ends our wait for
   * that peer; an unsolicited one gets our entries of the networks it named
   * that we take part in.
   */
  received(bsm: BulkSyncFields): void {
    const { ctx } = this;
    if (!bsm.unsolicited) {
      const w = this.waiting.get(bsm.node);
      if (w !== undefined) {
        this.waiting.delete(bsm.node);
        w.resolve();
      }
      return;
    }
    const networks = bsm.networks.filter((nid) => {
      const n = ctx.networks.local(nid);
      return n !== undefined && !n.leaving;
    });
    this.answer(networks, bsm.node, ctx.clock.now() + ANSWER_PATIENCE);
  }

  /**
   * Answer a peer's bulk sync. A node that has just joined the cluster may
   * sync with us before memberlist has told us about it (its alive is still
   * being gossiped), and without its address there is no answering; Docker
   * then never answers and the peer waits 30 s. Here the answer waits for
   * the node to become known, retrying until `deadline`.
   */
  private answer(networks: string[], peer: string, deadline: number): void {
    const { ctx } = this;
    if (ctx.closed) return;
    if (ctx.nodes.get(peer)?.state !== "active") {
      if (ctx.clock.now() >= deadline) {
        ctx.logger.warn(`networkdb ${ctx.self}: cannot answer the bulk sync of unknown node ${peer}`);
        return;
      }
      ctx.clock.setTimeout(() => this.answer(networks, peer, deadline), ANSWER_RETRY);
      return;
    }
    this.syncNode(networks, peer, false).catch((err: unknown) => {
      ctx.counters.bulkSyncFailures++;
      ctx.logger.warn(`networkdb ${ctx.self}: answering the bulk sync of ${peer} failed: ${(err as Error).message}`);
    });
  }

  /** Stop waiting for answers (shutdown). */
  cancel(): void {
    for (const w of this.waiting.values()) w.resolve();
    this.waiting.clear();
  }
}
