/**
 * Gossip rounds, as memberlist's gossip(): every gossip interval, pick
 * GossipNodes random members (alive, suspect, or dead for less than
 * gossipToTheDeadTime, so the recently dead hear about it and can refute) and
 * send each a packet of queued broadcasts, filled up to the UDP budget. The
 * packet carries a CRC when the member understands protocol 5, is compressed
 * when that makes it smaller and encrypted when a keyring is set.
 */
import { CompoundHeaderOverhead, CompoundOverhead } from "../wire/index.js";
import type { Config } from "./config.js";
import type { Members } from "./members.js";
import type { PacketSender } from "./packet-send.js";
import { isDeadOrLeft, nodeAddress } from "./state.js";

export function gossipRound(config: Config, members: Members, sender: PacketSender): void {
  const now = config.clock.now();
  const targets = members.kRandomNodes(config.gossipNodes, (r) => {
    if (r.node.name === config.name) return true;
    if (isDeadOrLeft(r.state)) return now - r.stateChange > config.gossipToTheDeadTime;
    return false;
  });
  const bytesAvail = config.udpBufferSize - CompoundHeaderOverhead - sender.encryptionOverhead();
  for (const target of targets) {
    const msgs = sender.getBroadcasts(CompoundOverhead, bytesAvail);
    if (msgs.length === 0) return;
    sender.sendCompound(nodeAddress(target.node), target.node, msgs);
  }
}
