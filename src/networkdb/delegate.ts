/**
 * memberlist's Delegate for NetworkDB, and the rules that apply received
 * messages (Docker's delegate.go):
 *
 *  - notifyMsg: a user message (UDP gossip or direct datagram, or a TCP
 *    user message such as a bulk sync) holds one GossipMessage; a COMPOUND
 *    holds several; a BULK_SYNC's payload is a COMPOUND applied as "from
 *    bulk sync".
 *  - Node and network events: ignored when not newer (Lamport time) than
 *    what we hold; applied ones are queued again for gossip.
 *  - Table events: ignored when not newer than the entry we hold, when we
 *    are not (or no longer) in the network, or when the owner is not in it;
 *    applied events are re-gossiped once the network is in sync (as Go
 *    does); a tombstone's remaining life travels with it
 *    (residual_reap_time).
 *  - cnm additions: equal Lamport times are broken by owner name; a delete
 *    for an entry never seen is kept as a tombstone whatever brought it
 *    (Docker drops a datagram's, which lets a create delayed behind it
 *    back in); an event for a key we do not hold, at or below its owner's
 *    resurrection floor, is refused (see tables.ts); watchers get the
 *    change as it affects this node (create/update/delete of the live
 *    value), not the event's own type, so a late delete of a key never
 *    seen is not reported.
 *  - localState / mergeRemoteState: the network attachments of every node,
 *    exchanged in memberlist's push/pulls (NetworkPushPull).
 */
import type { Context } from "./context.js";
import {
  GossipType,
  MembershipEventType,
  TableEventType,
  compoundParts,
  decodeBulkSync,
  decodeEnvelope,
  decodeNetworkEvent,
  decodeNodeEvent,
  decodePushPull,
  decodeTableEvent,
  encodePushPullMessage,
  type BulkSyncFields,
  type NetworkEntryFields,
  type NetworkEventFields,
  type NodeEventFields,
  type TableEventFields,
} from "./codec.js";
import { NetworkEventBroadcast, NodeEventBroadcast, TableEventBroadcast } from "./broadcasts.js";
import { reapNetworkInterval } from "./config.js";
import { datagramBudget, fitsAlone } from "./datagram.js";
import type { Delegate } from "./memberlist/index.js";
import { changeNodeState, markNetworkEntriesDeleted } from "./ownership.js";
import { storedValue, type TableEntry } from "./tables.js";
import { WireError } from "./wire/index.js";

/** Nesting allowed: Docker nests at most bulk sync > compound > event. */
const MAX_DEPTH = 4;

/** What message handling needs from the other parts of NetworkDB. */
export interface MessageHooks {
  /** A BULK_SYNC arrived (its payload already applied). */
  bulkSyncReceived(bsm: BulkSyncFields): void;
  /** A table event was applied for the first time from a datagram: forward it at once (forwardFanout). */
  forward(nid: string, msg: Uint8Array): void;
}

export class MessageHandler {
  constructor(
    private readonly ctx: Context,
    private readonly hooks: MessageHooks,
  ) {}

  /** Apply one complete GossipMessage. Never throws: bad input is counted and logged. */
  handleMessage(buf: Uint8Array, isBulkSync: boolean, depth = 0): void {
    const { ctx } = this;
    try {
      const { type, data } = decodeEnvelope(buf);
      switch (type) {
        case GossipType.NodeEvent:
          this.handleNodeMessage(data);
          return;
        case GossipType.NetworkEvent:
          this.handleNetworkMessage(data);
          return;
        case GossipType.TableEvent:
          this.handleTableMessage(buf, data, isBulkSync);
          return;
        case GossipType.BulkSync:
          this.handleBulkSync(data, depth);
          return;
        case GossipType.Compound:
          if (depth >= MAX_DEPTH) throw new WireError("malformed", "networkdb: messages nested too deeply");
          for (const part of compoundParts(data)) this.handleMessage(part, isBulkSync, depth + 1);
          return;
        default:
          ctx.counters.decodeErrors++;
          ctx.logger.error(`networkdb ${ctx.self}: unknown message type ${type}`);
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      ctx.counters.decodeErrors++;
      ctx.logger.error(`networkdb ${ctx.self}: bad message: ${err.message}`);
    }
  }

  private handleNodeMessage(data: Uint8Array): void {
    const event = decodeNodeEvent(data);
    if (applyNodeEvent(this.ctx, event)) {
      this.ctx.broadcasts.node.queueBroadcast(new NodeEventBroadcast(envelopeCopy(GossipType.NodeEvent, data)));
    }
  }

  private handleNetworkMessage(data: Uint8Array): void {
    const event = decodeNetworkEvent(data);
    if (applyNetworkEvent(this.ctx, event)) {
      this.ctx.broadcasts.network.queueBroadcast(
        new NetworkEventBroadcast(event.nid, event.node, envelopeCopy(GossipType.NetworkEvent, data)),
      );
    }
  }

  private handleTableMessage(buf: Uint8Array, data: Uint8Array, isBulkSync: boolean): void {
    const { ctx } = this;
    const event = decodeTableEvent(data);
    // Our own events come back through gossip: ignore them.
    if (event.node === ctx.self) return;
    if (!applyTableEvent(ctx, event, isBulkSync)) return;
    const network = ctx.networks.local(event.nid);
    if (network === undefined || network.leaving) return;
    // A bulk sync can bring thousands of entries: re-gossip them only while the queue is short.
    if (isBulkSync && network.tableBroadcasts.numQueued() > ctx.config.maxQueueLenBroadcastOnSync) return;
    const msg = buf.slice();
    // An event too big for a datagram would sit in the queue forever: bulk syncs carry it.
    if (!fitsAlone(msg, datagramBudget(ctx))) return;
    network.tableBroadcasts.queueBroadcast(new TableEventBroadcast(event.nid, event.table, event.key, msg));
    ctx.counters.tableEventsRequeued++;
    if (!isBulkSync) this.hooks.forward(event.nid, msg);
  }

  private handleBulkSync(data: Uint8Array, depth: number): void {
    const { ctx } = this;
    const bsm = decodeBulkSync(data);
    ctx.counters.bulkSyncsReceived++;
    ctx.counters.bulkSyncBytesReceived += data.length;
    if (bsm.ltime > 0) ctx.clocks.table.witness(bsm.ltime);
    this.handleMessage(bsm.payload, true, depth + 1);
    this.hooks.bulkSyncReceived(bsm);
  }
}

/** A GossipMessage rebuilt around received data (Go re-encodes it; the bytes are the same). */
function envelopeCopy(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + 1 + varintLength(data.length) + data.length);
  out[0] = 0x08;
  out[1] = type;
  out[2] = 0x12;
  let p = 3;
  let n = data.length;
  while (n >= 0x80) {
    out[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[p++] = n;
  out.set(data, p);
  return out;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n >>>= 7;
    len++;
  }
  return len;
}

/** Docker's handleNodeEvent: returns true when the event changed something (and is to be re-gossiped). */
export function applyNodeEvent(ctx: Context, event: NodeEventFields): boolean {
  ctx.counters.nodeEventsReceived++;
  ctx.clocks.network.witness(event.ltime);
  const n = ctx.nodes.get(event.node);
  if (n === undefined || n.ltime >= event.ltime) return false;
  n.ltime = event.ltime;
  // Only nodes memberlist reports alive are tracked (a dead one would never be reported again).
  if (n.state !== "active") return false;
  let moved = false;
  if (event.type === MembershipEventType.Join) moved = changeNodeState(ctx, event.node, "active");
  else if (event.type === MembershipEventType.Leave) moved = changeNodeState(ctx, event.node, "left");
  if (moved) ctx.counters.nodeEventsApplied++;
  return moved;
}

/** Docker's handleNetworkEvent: returns true when the event changed something (and is to be re-gossiped). */
export function applyNetworkEvent(ctx: Context, event: NetworkEventFields): boolean {
  ctx.counters.networkEventsReceived++;
  ctx.clocks.network.witness(event.ltime);
  if (event.type !== MembershipEventType.Join && event.type !== MembershipEventType.Leave) return false;
  const outcome = ctx.networks.applyNetworkEvent(
    { type: event.type === MembershipEventType.Join ? "join" : "leave", ltime: event.ltime, node: event.node, nid: event.nid },
    (node) => ctx.nodes.isActive(node),
    ctx.clock.now() + reapNetworkInterval(ctx.config),
  );
  if (outcome === "ignored") return false;
  // The node is leaving the network but not the cluster: its entries there
  // become tombstones, so a bulk sync with a node that missed the leave
  // spreads the deletion.
  if (outcome === "left") markNetworkEntriesDeleted(ctx, event.nid, event.node);
  else ctx.onNetworkJoin(event.nid, event.node);
  ctx.counters.networkEventsApplied++;
  return true;
}

/**
 * Docker's handleTableEvent: apply a table event from another node. Returns
 * true when it is to be re-gossiped.
 */
export function applyTableEvent(ctx: Context, event: TableEventFields, isBulkSync: boolean): boolean {
  const { counters, store, config } = ctx;
  counters.tableEventsReceived++;
  ctx.clocks.table.witness(event.ltime);

  const network = ctx.networks.local(event.nid);
  if (network === undefined || network.leaving || !ctx.networks.hasNode(event.nid, event.node)) {
    // We are out of the network, or its owner is: nothing to keep or spread.
    counters.tableEventsNotMember++;
    return false;
  }
  const isDelete = event.type === TableEventType.Delete;
  if (!isDelete && event.type !== TableEventType.Create && event.type !== TableEventType.Update) return false;

  const old = store.get(event.table, event.nid, event.key);
  if (old !== undefined) {
    if (!isNewer(event, old)) {
      counters.tableEventsStale++;
      return false;
    }
  } else if (event.ltime <= store.floor(event.nid, event.node)) {
    counters.tableEventsBelowFloor++;
    return false;
  }

  let reapAt = 0;
  if (isDelete) {
    // Deletes from peers of an older engine carry no residual time: use the full interval.
    const residual = event.residualReapTime > 0 ? event.residualReapTime * 1000 : config.reapEntryInterval;
    reapAt = ctx.clock.now() + residual;
  }
  store.set(event.table, event.nid, event.key, {
    value: storedValue(event.value),
    owner: event.node,
    ltime: event.ltime,
    deleting: isDelete,
    reapAt,
  });
  counters.tableEventsApplied++;

  if (old === undefined && isDelete) {
    // A tombstone for an entry we never had. Docker keeps it only from a bulk
    // sync (whose residual time is fresh) and drops a datagram's, whose
    // residual time may be stale after a long wait in a queue; but then a
    // create delayed behind that delete is accepted and the entry comes back
    // until the next repair. cnm keeps it either way, so no older create can
    // get in, and spreads it only from a bulk sync and while it still has a
    // long life (Docker's rule), so a stale one does not travel.
    return isBulkSync && network.inSync && reapAt - ctx.clock.now() > config.reapEntryInterval / 6;
  }

  const wasLive = old !== undefined && !old.deleting;
  const value = event.value.slice();
  if (isDelete) {
    if (wasLive) ctx.watchers.emit("delete", event.table, event.nid, event.key, value);
  } else {
    ctx.watchers.emit(wasLive ? "update" : "create", event.table, event.nid, event.key, value);
  }
  return network.inSync;
}

/**
 * True when `event` supersedes `entry`: a larger Lamport time, or (cnm) the
 * same time from an owner with a larger name. Docker keeps whichever of two
 * concurrent same-time writes arrived first, so nodes can disagree forever
 * (bulk syncs do not fix equal times); the tie-break makes every cnm node
 * pick the same one. Same time and owner is the same event: not newer.
 */
function isNewer(event: TableEventFields, entry: TableEntry): boolean {
  // The version an orphan marker stands for, back from its owner: welcome.
  if (entry.orphan === true && event.ltime === entry.ltime && event.node === entry.owner) return true;
  if (event.ltime !== entry.ltime) return event.ltime > entry.ltime;
  return event.node > entry.owner;
}

/** memberlist's Delegate, implemented for NetworkDB. */
export class NetworkDBDelegate implements Delegate {
  constructor(
    private readonly ctx: Context,
    private readonly handler: MessageHandler,
  ) {}

  /** NetworkDB sends no node metadata (an empty raw, as Go's []byte{}). */
  nodeMeta(): Uint8Array {
    return new Uint8Array(0);
  }

  notifyMsg(payload: Uint8Array): void {
    if (payload.length === 0) return;
    this.handler.handleMessage(payload, false);
  }

  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    return this.ctx.broadcasts.getBroadcasts(overhead, limit);
  }

  /**
   * Our view of every node's network attachments. At join time, our own
   * attachments first get a fresh time, so that a node that still holds
   * them as leaving (from before a failure) takes the join.
   */
  localState(join: boolean): Uint8Array {
    const { ctx } = this;
    if (join) {
      const ltime = ctx.clocks.network.increment();
      for (const n of ctx.networks.localNetworks()) n.ltime = ltime;
    }
    const networks: NetworkEntryFields[] = [];
    for (const [node, n] of ctx.networks.allAttachments()) {
      networks.push({ nid: n.id, ltime: n.ltime, node, leaving: n.leaving });
    }
    return encodePushPullMessage({ ltime: ctx.clocks.network.time(), node: ctx.self, networks });
  }

  /** A peer's attachments: applied as a node join event and network events (Docker's MergeRemoteState). */
  mergeRemoteState(buf: Uint8Array): void {
    const { ctx } = this;
    try {
      const { type, data } = decodeEnvelope(buf);
      if (type !== GossipType.PushPull) {
        ctx.logger.error(`networkdb ${ctx.self}: push/pull state of type ${type}`);
        return;
      }
      const pp = decodePushPull(data);
      applyNodeEvent(ctx, { type: MembershipEventType.Join, ltime: pp.ltime, node: pp.node });
      for (const n of pp.networks) {
        applyNetworkEvent(ctx, {
          type: n.leaving ? MembershipEventType.Leave : MembershipEventType.Join,
          ltime: n.ltime,
          node: n.node,
          nid: n.nid,
        });
      }
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      ctx.counters.decodeErrors++;
      ctx.logger.error(`networkdb ${ctx.self}: bad push/pull state: ${err.message}`);
    }
  }
}
