/**
 * Anti-entropy, as memberlist's push/pull: over one TCP stream, each side
 * sends its whole node table plus its delegate's state (NetworkDB's networks),
 * the responder answering on the same stream and echoing the join flag; then
 * each merges what it got. Done at join time with the seed nodes, and
 * periodically with one random member (less often above 32 nodes).
 */
import type { PushNodeState, StreamMessage } from "../wire/index.js";
import type { Config } from "./config.js";
import type { Members } from "./members.js";
import { goBytes } from "./packet-receive.js";
import { nodeAddress } from "./state.js";
import type { StreamIO } from "./stream-io.js";
import type { Stream, Transport } from "./transport.js";

/** Nodes above which the push/pull interval stretches (memberlist's pushPullScaleThreshold). */
export const PUSH_PULL_SCALE_THRESHOLD = 32;

/**
 * The push/pull interval for `n` nodes: unchanged up to 32 nodes, then
 * multiplied by ceil(log2(n) - log2(32)) + 1 (x2 from 33 nodes, x3 from 65 ...).
 */
export function pushPullScale(interval: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return interval;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return multiplier * interval;
}

type PushPullMessage = Extract<StreamMessage, { type: "pushPull" }>;

export class PushPull {
  constructor(
    private readonly config: Config,
    private readonly members: Members,
    private readonly streams: StreamIO,
    private readonly transport: Transport,
    private readonly onStreamOpened: () => void,
  ) {}

  /** A periodic exchange with one random alive member (errors are logged). */
  async periodic(): Promise<void> {
    const { config } = this;
    const [peer] = this.members.kRandomNodes(1, (r) => r.node.name === config.name || r.state !== "alive");
    if (peer === undefined) return;
    try {
      await this.pushPullNode(nodeAddress(peer.node), false);
    } catch (err) {
      config.logger.error(`push/pull with ${peer.node.name} failed: ${(err as Error).message}`);
    }
  }

  /** Exchange state with `addr` and merge the answer. Throws when the exchange or the merge fails. */
  async pushPullNode(addr: string, join: boolean): Promise<void> {
    const remote = await this.sendAndReceiveState(addr, join);
    this.mergeRemoteState(join, remote.nodes, remote.userState);
  }

  /** Initiator side: connect, send our state, read theirs. */
  async sendAndReceiveState(addr: string, join: boolean): Promise<PushPullMessage> {
    const { config } = this;
    const stream = await this.transport.dialTimeout(addr, config.tcpTimeout);
    this.onStreamOpened();
    config.logger.debug(`initiating push/pull sync with: ${addr}`);
    try {
      await this.sendLocalState(stream, join);
      const reply = await this.streams.readFrame(stream, config.tcpTimeout);
      if (reply.type === "err") throw new Error(`remote error: ${reply.body.Error}`);
      if (reply.type !== "pushPull") throw new Error(`received invalid msgType (${reply.type}), expected pushPull`);
      return reply;
    } finally {
      stream.close();
    }
  }

  /** Send our node table and delegate state on `stream`. */
  async sendLocalState(stream: Stream, join: boolean): Promise<void> {
    const { config } = this;
    const nodes = this.members.pushStates();
    const userState = config.delegate?.localState(join) ?? new Uint8Array(0);
    await this.streams.writeFrame(stream, { type: "pushPull", join, nodes, userState }, config.tcpTimeout);
  }

  /** Responder side: answer with our state (echoing the join flag), then merge theirs. */
  async handleRemoteState(stream: Stream, msg: PushPullMessage): Promise<void> {
    await this.sendLocalState(stream, msg.join);
    this.mergeRemoteState(msg.join, msg.nodes, msg.userState);
  }

  /**
   * Merge a peer's state: version check first (refuse peers we cannot talk
   * to), then node states, then the delegate's state if the peer sent any.
   */
  mergeRemoteState(join: boolean, nodes: PushNodeState[], userState: Uint8Array): void {
    const { config } = this;
    for (const n of nodes) {
      // Protocol 1 peers send no port: assume ours.
      if (config.protocolVersion < 2 || n.Port === 0) n.Port = config.bindPort;
      n.Meta = goBytes(n.Meta);
    }
    this.members.verifyProtocol(nodes);
    this.members.mergeState(nodes);
    if (userState.length > 0) config.delegate?.mergeRemoteState(userState, join);
  }
}
