/**
 * Sending datagrams the way memberlist's net.go does:
 *  - sendMsg: a protocol message (ping, ack, indirect ping, nack) with queued
 *    broadcasts piggybacked in a compound, filling the UDP budget;
 *  - rawSendMsgPacket: compress if strictly smaller, add a CRC if the
 *    receiver understands protocol >= 5, encrypt if a keyring is set.
 *
 * CRC quirk kept on purpose (see the vectors README): when a message is sent
 * by address only (sendMsg), memberlist looks the destination up in its node
 * map by IP, but that map is keyed by node name, so it finds nothing and
 * sends no CRC. Pings, acks, indirect pings and nacks therefore travel
 * without CRC, while gossip, probes of suspect nodes and best-effort user
 * messages (sent to a known node) carry one.
 */
import {
  CompoundHeaderOverhead,
  CompoundOverhead,
  MaxCompoundParts,
  MessageType,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encryptOverhead,
  encryptionVersionFor,
  type PacketMessage,
} from "../wire/index.js";
import { splitHostPort } from "./address.js";
import type { TransmitLimitedQueue } from "./broadcast-queue.js";
import { encryptionEnabled, type Config } from "./config.js";
import type { Members } from "./members.js";
import type { Node } from "./state.js";
import { countEncoded, type MemberlistStats } from "./stats.js";
import type { Transport } from "./transport.js";

/** memberlist's userMsgOverhead: the type byte framing each delegate broadcast. */
const USER_MSG_OVERHEAD = 1;

export class PacketSender {
  constructor(
    private readonly config: Config,
    private readonly transport: Transport,
    private readonly members: Members,
    private readonly broadcasts: TransmitLimitedQueue,
    private readonly stats: MemberlistStats,
  ) {}

  /** Bytes encryption adds to each datagram (0 without encryption). */
  encryptionOverhead(): number {
    return encryptionEnabled(this.config) && this.config.gossipVerifyOutgoing
      ? encryptOverhead(encryptionVersionFor(this.config.protocolVersion))
      : 0;
  }

  /**
   * Queued broadcasts that fit in `limit` bytes, `overhead` bytes each on top
   * of their length: memberlist's own first, then the delegate's, each framed
   * as a user message.
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const toSend = this.broadcasts.getBroadcasts(overhead, limit);
    const delegate = this.config.delegate;
    if (delegate === null) return toSend;
    let used = 0;
    for (const m of toSend) used += m.length + overhead;
    const avail = limit - used;
    if (avail > overhead + USER_MSG_OVERHEAD) {
      for (const msg of delegate.getBroadcasts(overhead + USER_MSG_OVERHEAD, avail)) {
        const framed = new Uint8Array(msg.length + 1);
        framed[0] = MessageType.User;
        framed.set(msg, 1);
        toSend.push(framed);
      }
    }
    return toSend;
  }

  /** Encode `message` and send it with piggybacked broadcasts (memberlist's encodeAndSendMsg). */
  encodeAndSendMsg(addr: string, message: PacketMessage): void {
    this.sendMsg(addr, encodeMessage(message));
  }

  /** Send an encoded message to `addr`, piggybacking queued broadcasts in the room left. */
  sendMsg(addr: string, msg: Uint8Array): void {
    const bytesAvail = this.config.udpBufferSize - msg.length - CompoundHeaderOverhead - this.encryptionOverhead();
    const extra = this.getBroadcasts(CompoundOverhead, bytesAvail);
    if (extra.length === 0) this.rawSendMsgPacket(addr, null, msg);
    else this.sendCompound(addr, null, [msg, ...extra]);
  }

  /** Send several messages, as one compound (or several, past 255 parts). */
  sendCompound(addr: string, node: Node | null, msgs: Uint8Array[]): void {
    if (msgs.length === 1) {
      this.rawSendMsgPacket(addr, node, msgs[0]!);
      return;
    }
    for (let i = 0; i < msgs.length; i += MaxCompoundParts) {
      const chunk = msgs.slice(i, i + MaxCompoundParts);
      this.rawSendMsgPacket(addr, node, chunk.length === 1 ? chunk[0]! : encodeCompound(chunk));
    }
  }

  /**
   * Send one encoded message (or compound) as a datagram: compress when
   * smaller, CRC when `node` (or, as memberlist does, a node NAMED like the
   * destination IP) understands protocol 5, encrypt when configured.
   */
  rawSendMsgPacket(addr: string, node: Node | null, msg: Uint8Array): void {
    const { config } = this;
    let target = node;
    if (target === null) target = this.members.get(splitHostPort(addr).host)?.node ?? null;
    const encrypt = encryptionEnabled(config) && config.gossipVerifyOutgoing;
    const out = encodePacket(msg, {
      compress: config.enableCompression,
      crc: target !== null && target.pMax >= 5,
      ...(encrypt
        ? { keyring: config.keyring!, encryptionVersion: encryptionVersionFor(config.protocolVersion) }
        : {}),
    });
    countEncoded(this.stats.messagesSent, msg);
    this.stats.packetsSent++;
    this.stats.packetBytesSent += out.length;
    try {
      this.transport.writeTo(out, addr);
    } catch (err) {
      config.logger.error(`failed to send packet to ${addr}: ${(err as Error).message}`);
    }
  }
}
