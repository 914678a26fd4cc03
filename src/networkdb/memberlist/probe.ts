/**
 * SWIM failure detection with Lifeguard, as memberlist's probe/probeNode:
 * every probe interval, the next member in a shuffled round-robin order gets
 * a UDP ping. No ack within probeTimeout: IndirectChecks random alive peers
 * are asked to ping it for us (and to nack if they fail, when they speak
 * protocol >= 4), and in parallel a TCP ping is tried (protocol >= 3). No ack
 * by the end of the (health-scaled) probe interval: the member is suspected.
 * The outcome feeds our own health score (awareness).
 *
 * Also the answering side: acks to pings, and relaying indirect pings.
 */
import { encodeCompound, encodeMessage, type IndirectPing, type Ping } from "../wire/index.js";
import type { AckHandlers } from "./ack-handlers.js";
import { bytesToIp, joinHostPort } from "./address.js";
import type { Awareness } from "./awareness.js";
import { deferred, withTimeout } from "./clock.js";
import type { Config } from "./config.js";
import type { Members } from "./members.js";
import type { PacketSender } from "./packet-send.js";
import type { ProbeResponder } from "./packet-receive.js";
import { isDeadOrLeft, nodeAddress, type NodeRecord } from "./state.js";
import { StreamIO } from "./stream-io.js";
import type { Transport } from "./transport.js";

/** What a probe's ack wait ends with: an ack (complete) or the probe interval running out. */
interface AckResult {
  complete: boolean;
  payload: Uint8Array | null;
  timestamp: number;
}

/** Everything the prober uses. */
export interface ProberContext {
  readonly config: Config;
  readonly members: Members;
  readonly sender: PacketSender;
  readonly acks: AckHandlers;
  readonly awareness: Awareness;
  readonly streams: StreamIO;
  readonly transport: Transport;
  nextSeqNo(): number;
  isShutdown(): boolean;
}

export class Prober implements ProbeResponder {
  /** Position in the probe round (memberlist's probeIndex). */
  private probeIndex = 0;

  constructor(private readonly ctx: ProberContext) {}

  /** One probe tick: probe the next member that is neither us nor dead. */
  async probe(): Promise<void> {
    const { members, config } = this.ctx;
    let numCheck = 0;
    for (;;) {
      if (numCheck >= members.nodes.length) return;
      if (this.probeIndex >= members.nodes.length) {
        members.resetNodes();
        this.probeIndex = 0;
        numCheck++;
        continue;
      }
      const rec = members.nodes[this.probeIndex]!;
      this.probeIndex++;
      if (rec.node.name === config.name || isDeadOrLeft(rec.state)) {
        numCheck++;
        continue;
      }
      // Probe a snapshot: the record may change while we wait.
      await this.probeNode({ ...rec, node: { ...rec.node } });
      return;
    }
  }

  /** One round of failure checking of `target` (memberlist's probeNode). */
  async probeNode(target: NodeRecord): Promise<void> {
    const { config, members, sender, acks, awareness } = this.ctx;
    const clock = config.clock;
    // A less healthy node gives probes more time, rather than blaming peers.
    const probeInterval = awareness.scaleTimeout(config.probeInterval);

    const ping: Ping = { SeqNo: this.ctx.nextSeqNo(), Node: target.node.name };
    const ack = deferred<AckResult>();
    let nacks = 0;
    const maxNacks = config.indirectChecks + 1;
    acks.set(
      ping.SeqNo,
      (payload, timestamp) => ack.resolve({ complete: true, payload, timestamp }),
      () => {
        if (nacks < maxNacks) nacks++;
      },
      probeInterval,
      () => ack.resolve({ complete: false, payload: null, timestamp: clock.now() }),
    );

    const sent = clock.now();
    const deadline = sent + probeInterval;
    const addr = nodeAddress(target.node);
    if (target.state === "alive") {
      sender.encodeAndSendMsg(addr, { type: "ping", body: ping });
    } else {
      // A suspect gets our suspicion along with the ping, so it can refute at once.
      const parts = [
        encodeMessage({ type: "ping", body: ping }),
        encodeMessage({
          type: "suspect",
          body: { Incarnation: target.incarnation, Node: target.node.name, From: config.name },
        }),
      ];
      sender.rawSendMsgPacket(addr, target.node, encodeCompound(parts));
    }

    // From here a return means the probe succeeded and improves our health,
    // unless the failure path below changes the delta.
    let awarenessDelta = -1;
    try {
      // Wait for the direct ack. This wait is not scaled by health: waiting
      // longer rarely gets UDP through; the scaled interval gives the TCP
      // fallback and the indirect probes more time instead.
      const first = await withTimeout(clock, ack.promise, config.probeTimeout);
      if (this.ctx.isShutdown()) return;
      if (first?.complete === true) return;
      config.logger.debug(`failed ping: ${target.node.name} (timeout reached)`);

      // Ask some random live peers to probe it for us.
      const peers = members.kRandomNodes(
        config.indirectChecks,
        (r) => r.node.name === config.name || r.node.name === target.node.name || r.state !== "alive",
      );
      let expectedNacks = 0;
      for (const peer of peers) {
        // Only peers that understand protocol 4 send nacks.
        const wantNack = peer.node.pMax >= 4;
        if (wantNack) expectedNacks++;
        const ind: IndirectPing = {
          SeqNo: ping.SeqNo,
          Target: target.addrBytes,
          Port: target.node.port,
          Node: target.node.name,
          Nack: wantNack,
        };
        sender.encodeAndSendMsg(nodeAddress(peer.node), { type: "indirectPing", body: ind });
      }

      // Try TCP as well (any peer understanding protocol 3): a node cut off
      // from UDP but reachable over TCP should not flap.
      let fallback: Promise<boolean> | null = null;
      if (!config.disableTcpPings && target.node.pMax >= 3) {
        fallback = this.sendPingAndWaitForAck(addr, ping, deadline).catch((err: unknown) => {
          config.logger.error(`failed fallback ping: ${(err as Error).message}`);
          return false;
        });
      }

      // Wait for any ack until the probe interval ends.
      const second = await ack.promise;
      if (this.ctx.isShutdown()) return;
      if (second.complete) return;

      // The TCP attempt is bounded by the same deadline.
      if (fallback !== null && (await fallback)) {
        config.logger.warn(
          `was able to connect to ${target.node.name} but other probes failed, network may be misconfigured`,
        );
        return;
      }
      if (this.ctx.isShutdown()) return;

      // With nacking peers, missing nacks suggest the problem is ours; without
      // them, any failed probe counts against our health.
      awarenessDelta = 0;
      if (expectedNacks > 0) {
        if (nacks < expectedNacks) awarenessDelta += expectedNacks - nacks;
      } else {
        awarenessDelta += 1;
      }
      config.logger.info(`suspect ${target.node.name} has failed, no acks received`);
      members.suspectNode({ Incarnation: target.incarnation, Node: target.node.name, From: config.name });
    } finally {
      awareness.applyDelta(awarenessDelta);
    }
  }

  /**
   * TCP ping: connect, send a ping frame, expect an ack frame with the same
   * sequence number, all before `deadline` (clock time). Resolves false when
   * the connection cannot be made (the node is probably dead), throws for
   * anything unexpected after that.
   */
  async sendPingAndWaitForAck(addr: string, ping: Ping, deadline: number): Promise<boolean> {
    const { transport, streams, config } = this.ctx;
    const left = (): number => Math.max(0, deadline - config.clock.now());
    let stream;
    try {
      stream = await transport.dialTimeout(addr, left());
    } catch (err) {
      // Expected when the node is dead, which is what probing finds out: debug, not memberlist's error spam.
      config.logger.debug(`tcp ping ${addr}: cannot connect: ${(err as Error).message}`);
      return false;
    }
    try {
      await streams.writeFrame(stream, { type: "ping", body: ping }, left());
      const reply = await streams.readFrame(stream, left());
      if (reply.type !== "ack") throw new Error(`unexpected msgType (${reply.type}) from ping ${addr}`);
      if (reply.body.SeqNo !== ping.SeqNo) {
        throw new Error(`sequence number from ack (${reply.body.SeqNo}) doesn't match ping (${ping.SeqNo})`);
      }
      return true;
    } finally {
      stream.close();
    }
  }

  /**
   * Ping `name` at `addr` once over UDP and wait up to probeTimeout for the
   * ack: the round-trip time in ms (memberlist's Ping). Throws on timeout.
   */
  async ping(name: string, addr: string): Promise<number> {
    const { config, acks, sender } = this.ctx;
    const seqNo = this.ctx.nextSeqNo();
    const ack = deferred<AckResult>();
    acks.set(seqNo, (payload, timestamp) => ack.resolve({ complete: true, payload, timestamp }), null, config.probeInterval);
    sender.encodeAndSendMsg(addr, { type: "ping", body: { SeqNo: seqNo, Node: name } });
    const sent = config.clock.now();
    const result = await withTimeout(config.clock, ack.promise, config.probeTimeout);
    if (result === undefined || !result.complete) throw new Error(`no response from node ${name}`);
    return result.timestamp - sent;
  }

  /** A ping for us (or for nobody in particular): ack it, piggybacking broadcasts. */
  handlePing(ping: Ping, from: string): void {
    const { config, sender } = this.ctx;
    if (ping.Node !== "" && ping.Node !== config.name) {
      config.logger.warn(`got ping for unexpected node '${ping.Node}' from=${from}`);
      return;
    }
    sender.encodeAndSendMsg(from, { type: "ack", body: { SeqNo: ping.SeqNo, Payload: null } });
  }

  /**
   * A peer asks us to ping a node for it: ping, relay the ack back, and if the
   * peer asked for it, send a nack when no ack came within probeTimeout.
   */
  handleIndirectPing(ind: IndirectPing, from: string): void {
    const { config, acks, sender } = this.ctx;
    if (ind.Target === null || (ind.Target.length !== 4 && ind.Target.length !== 16)) {
      config.logger.error(`indirect ping with a bad target address from=${from}`);
      return;
    }
    // Protocol 1 peers send no port: assume ours.
    const port = config.protocolVersion < 2 || ind.Port === 0 ? config.bindPort : ind.Port;
    const localSeqNo = this.ctx.nextSeqNo();
    let answered = false;
    acks.set(
      localSeqNo,
      () => {
        answered = true;
        sender.encodeAndSendMsg(from, { type: "ack", body: { SeqNo: ind.SeqNo, Payload: null } });
      },
      null,
      config.probeTimeout,
    );
    const addr = joinHostPort(bytesToIp(ind.Target), port);
    sender.encodeAndSendMsg(addr, { type: "ping", body: { SeqNo: localSeqNo, Node: ind.Node } });
    if (ind.Nack) {
      config.clock.setTimeout(() => {
        if (answered || this.ctx.isShutdown()) return;
        sender.encodeAndSendMsg(from, { type: "nack", body: { SeqNo: ind.SeqNo } });
      }, config.probeTimeout);
    }
  }
}

