/**
 * Receiving datagrams the way memberlist's net.go does (ingestPacket,
 * handleCommand): decrypt if a keyring is set (or accept plaintext when
 * gossipVerifyIncoming is off), check the CRC of a hasCrc packet, then
 * dispatch by type byte, unpacking compound and compress layers. Each part of
 * a compound is handled on its own: one bad part does not spoil the others.
 */
import {
  HasCrcHeaderSize,
  MessageType,
  WireError,
  ackCodec,
  aliveCodec,
  crc32,
  deadCodec,
  decodeStruct,
  decompressBody,
  decryptPacket,
  indirectPingCodec,
  nackCodec,
  pingCodec,
  splitCompound,
  suspectCodec,
  type IndirectPing,
  type Ping,
} from "../wire/index.js";
import type { AckHandlers } from "./ack-handlers.js";
import { encryptionEnabled, type Config } from "./config.js";
import type { Members } from "./members.js";
import { count, typeName, type MemberlistStats } from "./stats.js";
import type { Packet } from "./transport.js";

/** Nesting allowed inside one datagram (compress inside compound inside hasCrc is 2 deep). */
const MAX_DEPTH = 4;
/** Cap on what one compressed message may expand to: far more than any datagram holds. */
const MAX_DECOMPRESSED = 1 << 20;

/** The parts of memberlist that answer probes. */
export interface ProbeResponder {
  handlePing(ping: Ping, from: string): void;
  handleIndirectPing(ind: IndirectPing, from: string): void;
}

/** A []byte that go-msgpack decoded from an empty raw is nil in Go: keep that, since it is re-encoded as nil. */
export function goBytes(b: Uint8Array | null): Uint8Array | null {
  return b !== null && b.length === 0 ? null : b;
}

export class PacketReceiver {
  constructor(
    private readonly config: Config,
    private readonly stats: MemberlistStats,
    private readonly members: Members,
    private readonly acks: AckHandlers,
    private readonly responder: ProbeResponder,
  ) {}

  /** Process one datagram. Never throws: bad input is counted, logged and dropped. */
  ingest(packet: Packet): void {
    const { config, stats } = this;
    stats.packetsReceived++;
    stats.packetBytesReceived += packet.buf.length;
    let buf = packet.buf;
    if (encryptionEnabled(config)) {
      try {
        buf = decryptPacket(config.keyring!, buf);
      } catch (err) {
        if (config.gossipVerifyIncoming) {
          stats.decryptErrors++;
          config.logger.error(`decrypt packet failed: ${(err as Error).message} from=${packet.from}`);
          return;
        }
        // Rolling out encryption: treat it as plaintext.
      }
    }
    if (buf.length >= HasCrcHeaderSize && buf[0] === MessageType.HasCrc) {
      const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
      const rest = buf.subarray(HasCrcHeaderSize);
      const actual = crc32(rest);
      if (actual !== expected) {
        stats.checksumErrors++;
        config.logger.warn(`got invalid checksum for UDP packet: ${actual.toString(16)}, ${expected.toString(16)}`);
        return;
      }
      buf = rest;
    }
    this.handleCommand(buf, packet.from, packet.timestamp, 0);
  }

  private handleCommand(buf: Uint8Array, from: string, timestamp: number, depth: number): void {
    const { config, stats } = this;
    if (buf.length === 0) {
      stats.decodeErrors++;
      return;
    }
    const type = buf[0]!;
    const body = buf.subarray(1);
    try {
      switch (type) {
        case MessageType.Compound: {
          if (depth >= MAX_DEPTH) throw new WireError("malformed", "messages nested too deeply");
          const { parts, truncated } = splitCompound(body);
          if (truncated > 0) config.logger.warn(`compound request had ${truncated} truncated messages from=${from}`);
          for (const part of parts) this.handleCommand(part, from, timestamp, depth + 1);
          return;
        }
        case MessageType.Compress: {
          if (depth >= MAX_DEPTH) throw new WireError("malformed", "messages nested too deeply");
          const { payload } = decompressBody(body, { maxOutput: MAX_DECOMPRESSED });
          this.handleCommand(payload, from, timestamp, depth + 1);
          return;
        }
      }
      count(stats.messagesReceived, typeName(type), buf.length);
      switch (type) {
        case MessageType.Ping:
          this.responder.handlePing(decodeStruct(pingCodec, body).value, from);
          return;
        case MessageType.IndirectPing:
          this.responder.handleIndirectPing(decodeStruct(indirectPingCodec, body).value, from);
          return;
        case MessageType.Ack: {
          const ack = decodeStruct(ackCodec, body).value;
          this.acks.invokeAck(ack.SeqNo, ack.Payload, timestamp);
          return;
        }
        case MessageType.Nack:
          this.acks.invokeNack(decodeStruct(nackCodec, body).value.SeqNo);
          return;
        case MessageType.Suspect:
          this.members.suspectNode(decodeStruct(suspectCodec, body).value);
          return;
        case MessageType.Alive: {
          const a = decodeStruct(aliveCodec, body).value;
          // Protocol 1 peers send no port: assume ours.
          if (config.protocolVersion < 2 || a.Port === 0) a.Port = config.bindPort;
          a.Meta = goBytes(a.Meta);
          this.members.aliveNode(a, null, false);
          return;
        }
        case MessageType.Dead:
          this.members.deadNode(decodeStruct(deadCodec, body).value);
          return;
        case MessageType.User:
          config.delegate?.notifyMsg(body.slice());
          return;
        default:
          stats.decodeErrors++;
          config.logger.error(`msg type (${type}) not supported from=${from}`);
      }
    } catch (err) {
      if (!(err instanceof WireError)) {
        config.logger.error(`handling message type ${type} from ${from} failed: ${(err as Error).stack ?? String(err)}`);
        return;
      }
      stats.decodeErrors++;
      config.logger.error(`failed to decode message type ${type}: ${err.message} from=${from}`);
    }
  }
}
