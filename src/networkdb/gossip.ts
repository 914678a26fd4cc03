/**
 * NetworkDB's gossip round (Docker's gossip()): every gossipInterval, for
 * each network this node is in, take the queued table events that fit one
 * datagram (each take counts one transmission) and send that compound to
 * gossipNodes random peers of the network. Received events are queued again
 * by every node that applies them, so an event spreads epidemically even
 * when its first datagrams were lost.
 */
import type { Context } from "./context.js";
import { memberlistOf, randomPeers } from "./context.js";
import { encodeCompound } from "./codec.js";
import { datagramBudget, queueLimits } from "./datagram.js";

export function gossipRound(ctx: Context): void {
  if (ctx.closed || ctx.ml === null) return;
  const ml = memberlistOf(ctx);
  const { overhead, limit } = queueLimits(datagramBudget(ctx));
  for (const network of ctx.networks.localNetworks()) {
    const queue = network.tableBroadcasts;
    if (queue.numQueued() === 0) continue;
    const targets = randomPeers(ctx.random, ctx.networks.peersOf(network.id), ctx.config.gossipNodes, ctx.self);
    // Docker takes the events even without peers, so a write made before
    // this node heard of the network's other members is gossiped to nobody
    // and waits for a bulk sync (30 s). Kept instead, it goes out as soon as
    // a peer is known; the queue stays bounded by the number of keys (a
    // newer event about a key replaces the older one).
    if (targets.length === 0) continue;
    const msgs = queue.getBroadcasts(overhead, limit);
    network.messagesSent += msgs.length;
    if (msgs.length === 0) continue;
    const compound = encodeCompound(msgs);
    for (const name of targets) {
      const node = ctx.nodes.get(name);
      if (node === undefined || node.state !== "active") continue;
      ml.sendBestEffort(node.node, compound);
      ctx.counters.gossipPackets++;
      ctx.counters.gossipBytes += compound.length;
    }
  }
}
