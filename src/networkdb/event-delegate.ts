/**
 * memberlist's EventDelegate for NetworkDB (Docker's event_delegate.go):
 * cluster membership as memberlist's failure detector sees it.
 *
 *  - join: a node (back) in the cluster becomes active; a new name at the
 *    address of a known node is that node restarted, and its old self is
 *    moved to left (its entries dropped).
 *  - leave: memberlist declared a node dead, or it left. If it was still
 *    active (no node LEAVE event said goodbye), it failed: it moves to
 *    failed, its network attachments and live entries are dropped, and the
 *    reconnect task keeps trying to reach it.
 *
 * Watchers of "NodeTable" hear both, as in Docker.
 */
import type { Context } from "./context.js";
import type { EventDelegate, Node } from "./memberlist/index.js";
import { changeNodeState } from "./ownership.js";
import { NODE_TABLE } from "./watch.js";

export class NetworkDBEventDelegate implements EventDelegate {
  constructor(private readonly ctx: Context) {}

  notifyJoin(node: Node): void {
    const { ctx } = this;
    ctx.watchers.emit("create", NODE_TABLE, "", "", nodeAddrJson(node));
    const known = ctx.nodes.get(node.name);
    if (known !== undefined && known.state !== "active") {
      // Back from failed or left: the same node, same name.
      const wasFailed = known.state === "failed";
      ctx.nodes.updateNode(node);
      changeNodeState(ctx, node.name, "active");
      // Its attachments and entries were dropped when it failed: the
      // reconnect task syncs with it, as if it had reconnected it itself.
      if (wasFailed) known.resyncPending = true;
      return;
    }
    const previous = ctx.nodes.findReincarnation(node);
    if (previous !== undefined) {
      ctx.logger.info(`networkdb ${ctx.self}: node ${node.name} is a new incarnation of ${previous}`);
      changeNodeState(ctx, previous, "left");
    }
    ctx.nodes.add(node);
  }

  notifyLeave(node: Node): void {
    const { ctx } = this;
    ctx.watchers.emit("delete", NODE_TABLE, "", "", nodeAddrJson(node));
    const known = ctx.nodes.get(node.name);
    if (known === undefined) {
      ctx.logger.error(`networkdb ${ctx.self}: node ${node.name} left but was not known`);
      return;
    }
    // Still active: it did not say goodbye in NetworkDB. Memberlist knows
    // whether it left on purpose (its own leave gossiped) or failed; Docker
    // calls every such node failed, and then keeps trying to reconnect to a
    // node that shut down. The leave event often arrives after memberlist's.
    if (known.state === "active") {
      const left = ctx.ml?.memberState(node.name)?.state === "left";
      changeNodeState(ctx, node.name, left ? "left" : "failed");
    }
  }

  notifyUpdate(): void {}
}

/** Docker's NodeAddr JSON: {"Addr":"<ip>"}. */
function nodeAddrJson(node: Node): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ Addr: node.addr }));
}
