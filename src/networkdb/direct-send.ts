/**
 * Fast propagation (cnm): a table event written here is sent at once to the
 * network's peers, one best-effort datagram each (memberlist sendBestEffort,
 * the same `hasCrc > user > COMPOUND[TABLE_EVENT]` packet Docker's gossip
 * sends, so Go peers take it as gossip), instead of waiting for gossip
 * rounds to carry it. The periodic gossip still carries the event too, and
 * repairs what datagram loss took.
 *
 * Events written in the same turn of the event loop share datagrams: they
 * are collected and flushed by a zero-delay timer, packed into as few
 * compounds as fit the packet budget. An event too large for any datagram
 * goes over TCP (memberlist sendReliable) to each target instead, which Go
 * peers also accept.
 */
import type { Context } from "./context.js";
import { memberlistOf } from "./context.js";
import { encodeCompound } from "./codec.js";
import { datagramBudget, packCompounds } from "./datagram.js";
import type { TimerHandle } from "./memberlist/index.js";

interface Pending {
  /** Sequence number: identifies the message when grouping targets that get the same messages. */
  id: number;
  msg: Uint8Array;
  targets: readonly string[];
}

export class DirectSender {
  private pending: Pending[] = [];
  private nextId = 0;
  private timer: TimerHandle | null = null;

  constructor(private readonly ctx: Context) {}

  /** Send `msg` (a complete GossipMessage) to the nodes named in `targets`, as soon as this turn ends. */
  send(msg: Uint8Array, targets: readonly string[]): void {
    if (targets.length === 0 || this.ctx.closed) return;
    this.pending.push({ id: this.nextId++, msg, targets });
    this.timer ??= this.ctx.clock.setTimeout(() => this.flush(), 0);
  }

  /** Send everything pending now. */
  flush(): void {
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0 || this.ctx.closed || this.ctx.ml === null) return;

    // Per target, the messages it gets; targets with the same list share the packing.
    const perTarget = new Map<string, Pending[]>();
    for (const p of batch) {
      for (const t of p.targets) {
        let list = perTarget.get(t);
        if (list === undefined) {
          list = [];
          perTarget.set(t, list);
        }
        list.push(p);
      }
    }
    const budget = datagramBudget(this.ctx);
    const packed = new Map<string, { packets: Uint8Array[]; oversize: Uint8Array[] }>();
    for (const [target, list] of perTarget) {
      const signature = list.length === batch.length ? "*" : list.map((p) => p.id).join(",");
      let out = packed.get(signature);
      if (out === undefined) {
        const { packets, oversize } = packCompounds(
          list.map((p) => p.msg),
          budget,
        );
        out = { packets: packets.map((parts) => encodeCompound(parts)), oversize };
        packed.set(signature, out);
      }
      this.sendTo(target, out.packets, out.oversize);
    }
  }

  private sendTo(name: string, packets: readonly Uint8Array[], oversize: readonly Uint8Array[]): void {
    const { ctx } = this;
    const ml = memberlistOf(ctx);
    const node = ctx.nodes.get(name);
    if (node === undefined || node.state !== "active") return;
    for (const packet of packets) {
      ml.sendBestEffort(node.node, packet);
      ctx.counters.directPackets++;
      ctx.counters.directBytes += packet.length;
    }
    for (const msg of oversize) {
      ctx.counters.directStreams++;
      ml.sendReliable(node.node, msg).catch((err: unknown) => {
        ctx.logger.debug(`networkdb ${ctx.self}: sending a large table event to ${name} failed: ${(err as Error).message}`);
      });
    }
  }

  /** Drop anything pending (shutdown). */
  cancel(): void {
    this.timer?.cancel();
    this.timer = null;
    this.pending = [];
  }
}
