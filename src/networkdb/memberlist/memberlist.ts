/**
 * Memberlist: SWIM membership with Lifeguard, wire-compatible with the
 * hashicorp/memberlist revision Docker's NetworkDB runs on. This class ties
 * the parts together (state machine, probes, gossip, push/pull, packet and
 * stream I/O), schedules the periodic work on the configured clock, and is
 * the public face: create, join, leave, shutdown, members, user messages.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Keyring, MessageType, MetaMaxSize, ProtocolVersionMax, ProtocolVersionMin } from "../wire/index.js";
import { AckHandlers } from "./ack-handlers.js";
import { ensurePort, ipToBytes, joinHostPort, splitHostPort } from "./address.js";
import { Awareness } from "./awareness.js";
import { TransmitLimitedQueue } from "./broadcast-queue.js";
import { deferred, startTicker, withTimeout, type Deferred, type TimerHandle } from "./clock.js";
import { defaultLANConfig, encryptionEnabled, validateConfig, type Config } from "./config.js";
import { gossipRound } from "./gossip.js";
import { Members } from "./members.js";
import { NetTransport } from "./net-transport.js";
import { PacketReceiver } from "./packet-receive.js";
import { PacketSender } from "./packet-send.js";
import { Prober } from "./probe.js";
import { PushPull, pushPullScale } from "./push-pull.js";
import { randomOffset } from "./random.js";
import { isDeadOrLeft, nodeAddress, type MemberInfo, type Node } from "./state.js";
import { cloneStats, newStats, type MemberlistStats } from "./stats.js";
import { handleStream } from "./stream-handler.js";
import { StreamIO } from "./stream-io.js";
import type { Transport } from "./transport.js";

export class Memberlist {
  /** The effective configuration (do not modify after create). */
  readonly config: Config;
  readonly transport: Transport;
  /**
   * memberlist's own broadcast queue (alive/suspect/dead). NetworkDB keeps
   * its own TransmitLimitedQueue and serves it through Delegate.getBroadcasts.
   */
  readonly broadcasts: TransmitLimitedQueue;

  private readonly table: Members;
  private readonly awareness: Awareness;
  private readonly acks: AckHandlers;
  private readonly sender: PacketSender;
  private readonly receiver: PacketReceiver;
  private readonly streams: StreamIO;
  private readonly prober: Prober;
  private readonly pushPull: PushPull;
  private readonly counters: MemberlistStats = newStats();

  private sequenceNum = 0;
  private isShut = false;
  private left = false;
  private readonly leaveBroadcast: Deferred<void> = deferred<void>();
  private tickers: TimerHandle[] = [];

  /**
   * Create a member, listening but not yet part of any cluster (see join).
   * Options override memberlist's DefaultLANConfig. Without a transport, a
   * NetTransport is bound to bindAddr:bindPort (port 0: any free port, which
   * then becomes bindPort and advertisePort).
   */
  static async create(options: Partial<Config> = {}): Promise<Memberlist> {
    const config: Config = { ...defaultLANConfig(), ...options };
    validateConfig(config);
    if (config.secretKey !== null) {
      const keyring = config.keyring ?? new Keyring();
      keyring.addKey(config.secretKey);
      keyring.useKey(config.secretKey);
      config.keyring = keyring;
    }
    let transport = config.transport;
    if (transport === null) {
      const net = await NetTransport.create({
        bindAddr: config.bindAddr,
        bindPort: config.bindPort,
        clock: config.clock,
        logger: config.logger,
      });
      if (config.bindPort === 0) {
        config.bindPort = net.port;
        config.advertisePort = net.port;
      }
      transport = net;
    }
    const m = new Memberlist(config, transport);
    try {
      m.setAlive();
    } catch (err) {
      await m.shutdown();
      throw err;
    }
    m.schedule();
    return m;
  }

  private constructor(config: Config, transport: Transport) {
    this.config = config;
    this.transport = transport;
    this.awareness = new Awareness(config.awarenessMaxMultiplier);
    this.broadcasts = new TransmitLimitedQueue({
      numNodes: () => this.table.numNodes,
      retransmitMult: config.retransmitMult,
    });
    this.table = new Members({
      config,
      broadcasts: this.broadcasts,
      awareness: this.awareness,
      hasLeft: () => this.left,
      leaveBroadcastDone: () => this.leaveBroadcast.resolve(),
    });
    this.acks = new AckHandlers(config.clock);
    this.sender = new PacketSender(config, transport, this.table, this.broadcasts, this.counters);
    this.streams = new StreamIO(config, this.counters);
    this.prober = new Prober({
      config,
      members: this.table,
      sender: this.sender,
      acks: this.acks,
      awareness: this.awareness,
      streams: this.streams,
      transport,
      nextSeqNo: () => this.nextSeqNo(),
      isShutdown: () => this.isShut,
    });
    this.receiver = new PacketReceiver(config, this.counters, this.table, this.acks, this.prober);
    this.pushPull = new PushPull(config, this.table, this.streams, transport, () => this.counters.streamsOpened++);
    transport.listen({
      onPacket: (p) => {
        if (!this.isShut) this.receiver.ingest(p);
      },
      onStream: (s) => {
        if (this.isShut) {
          s.close();
          return;
        }
        void handleStream(config, this.counters, this.streams, this.pushPull, s);
      },
    });
  }

  /** Announce ourselves (to ourselves): the first alive, which also queues our alive for gossip. */
  private setAlive(): void {
    const { config } = this;
    const { ip, port } = this.transport.finalAdvertiseAddr(config.advertiseAddr, config.advertisePort);
    const meta = this.nodeMeta();
    this.table.aliveNode(
      {
        Incarnation: this.table.nextIncarnation(),
        Node: config.name,
        Addr: ipToBytes(ip),
        Port: port,
        Meta: meta,
        Vsn: this.vsn(),
      },
      null,
      true,
    );
  }

  private nodeMeta(): Uint8Array | null {
    const delegate = this.config.delegate;
    if (delegate === null) return null;
    const meta = delegate.nodeMeta(MetaMaxSize);
    if (meta.length > MetaMaxSize) throw new Error("node meta data provided is longer than the limit");
    return meta;
  }

  private vsn(): Uint8Array {
    const c = this.config;
    return Uint8Array.of(
      ProtocolVersionMin,
      ProtocolVersionMax,
      c.protocolVersion,
      c.delegateProtocolMin,
      c.delegateProtocolMax,
      c.delegateProtocolVersion,
    );
  }

  /**
   * Start probing, gossip and push/pull. Each starts after a random stagger
   * within its interval, so that nodes started together do not act in step.
   */
  private schedule(): void {
    const { config } = this;
    const onError = (err: unknown): void => config.logger.error(`periodic task failed: ${(err as Error).stack ?? String(err)}`);
    const stagger = (interval: number): number => randomOffset(config.random, Math.floor(interval)) + 1;
    if (config.probeInterval > 0) {
      this.tickers.push(
        startTicker(config.clock, config.probeInterval, stagger(config.probeInterval), () => this.prober.probe(), onError),
      );
    }
    if (config.gossipInterval > 0 && config.gossipNodes > 0) {
      this.tickers.push(
        startTicker(
          config.clock,
          config.gossipInterval,
          stagger(config.gossipInterval),
          () => gossipRound(config, this.table, this.sender),
          onError,
        ),
      );
    }
    if (config.pushPullInterval > 0) {
      // The next exchange is scheduled after the previous one ends, with an
      // interval that grows with the cluster.
      let handle: TimerHandle | undefined;
      let stopped = false;
      const run = (): void => {
        if (stopped) return;
        this.pushPull
          .periodic()
          .catch(onError)
          .finally(() => {
            if (!stopped) handle = config.clock.setTimeout(run, pushPullScale(config.pushPullInterval, this.table.numNodes));
          });
      };
      handle = config.clock.setTimeout(run, stagger(config.pushPullInterval));
      this.tickers.push({
        cancel: () => {
          stopped = true;
          handle?.cancel();
        },
      });
    }
  }

  private nextSeqNo(): number {
    this.sequenceNum = (this.sequenceNum + 1) >>> 0;
    return this.sequenceNum;
  }

  /**
   * Join a cluster through the given seeds ("ip", "ip:port", "[v6]:port" or a
   * host name; the default port is bindPort): a push/pull with every address
   * each resolves to. Resolves with the number of nodes contacted; rejects
   * (with every error) when none could be.
   */
  async join(existing: readonly string[]): Promise<number> {
    let numSuccess = 0;
    const errors: Error[] = [];
    for (const seed of existing) {
      let addrs: string[];
      try {
        addrs = await this.resolveAddr(seed);
      } catch (err) {
        errors.push(new Error(`failed to resolve ${seed}: ${(err as Error).message}`));
        continue;
      }
      for (const addr of addrs) {
        try {
          await this.pushPull.pushPullNode(addr, true);
          numSuccess++;
        } catch (err) {
          errors.push(new Error(`failed to join ${addr}: ${(err as Error).message}`));
          this.config.logger.debug(`failed to join ${addr}: ${(err as Error).message}`);
        }
      }
    }
    if (numSuccess === 0 && errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join("; "));
    return numSuccess;
  }

  private async resolveAddr(seed: string): Promise<string[]> {
    const { host, port } = splitHostPort(ensurePort(seed, this.config.bindPort));
    if (isIP(host) !== 0) return [joinHostPort(host, port)];
    const found = await lookup(host, { all: true });
    return found.map((a) => joinHostPort(a.address, port));
  }

  /**
   * Leave gracefully: gossip our own death ("left") and wait until that
   * message has been sent enough times, or `timeoutMs` passes (0: no limit).
   * Probing and gossip go on until shutdown(). Calling it again does nothing.
   */
  async leave(timeoutMs: number): Promise<void> {
    if (this.isShut) throw new Error("leave after shutdown");
    if (this.left) return;
    this.left = true;
    const self = this.table.local();
    if (self === undefined) {
      this.config.logger.warn("leave but we're not in the node map");
      return;
    }
    // From = ourselves marks a leave rather than a failure (the revision Docker
    // vendors ignores From here, later ones use it to tell "left" from "dead").
    this.table.deadNode({ Incarnation: self.incarnation, Node: self.node.name, From: self.node.name });
    if (!this.table.anyAlive()) return;
    if (!(await this.waitFor(this.leaveBroadcast.promise, timeoutMs))) throw new Error("timeout waiting for leave broadcast");
  }

  /**
   * Stop everything: the transport, timers, pending probes. Other nodes will
   * find out through failed probes (call leave() first to tell them).
   * Safe to call more than once.
   */
  async shutdown(): Promise<void> {
    if (this.isShut) return;
    this.isShut = true;
    for (const t of this.tickers) t.cancel();
    this.tickers = [];
    this.table.stopTimers();
    this.acks.clear();
    try {
      await this.transport.shutdown();
    } catch (err) {
      this.config.logger.error(`failed to shutdown transport: ${(err as Error).message}`);
    }
  }

  /**
   * Re-advertise the local node with fresh metadata from the delegate, and
   * wait until the alive message has been gossiped enough (or `timeoutMs`).
   */
  async updateNode(timeoutMs: number): Promise<void> {
    const self = this.table.local();
    if (self === undefined) throw new Error("local node is not in the node map");
    const notified = deferred<void>();
    this.table.aliveNode(
      {
        Incarnation: this.table.nextIncarnation(),
        Node: this.config.name,
        Addr: self.addrBytes,
        Port: self.node.port,
        Meta: this.nodeMeta(),
        Vsn: this.vsn(),
      },
      () => notified.resolve(),
      true,
    );
    if (!this.table.anyAlive()) return;
    if (!(await this.waitFor(notified.promise, timeoutMs))) throw new Error("timeout waiting for update broadcast");
  }

  /** Wait for `done` at most `timeoutMs` (0: no limit); false on timeout. */
  private async waitFor(done: Promise<void>, timeoutMs: number): Promise<boolean> {
    const finished = done.then(() => true);
    if (timeoutMs <= 0) return finished;
    return (await withTimeout(this.config.clock, finished, timeoutMs)) === true;
  }

  /**
   * Send a user message to `node` in one datagram, not through gossip (best
   * effort; it must fit the UDP buffer). The delegate's notifyMsg receives it.
   */
  sendBestEffort(node: Node, payload: Uint8Array): void {
    const buf = new Uint8Array(payload.length + 1);
    buf[0] = MessageType.User;
    buf.set(payload, 1);
    this.sender.rawSendMsgPacket(nodeAddress(node), node, buf);
  }

  /** Send a user message to `node` over a stream (reliable, any size). Resolves when written. */
  async sendReliable(node: Node, payload: Uint8Array): Promise<void> {
    const stream = await this.transport.dialTimeout(nodeAddress(node), this.config.tcpTimeout);
    this.counters.streamsOpened++;
    try {
      await this.streams.writeFrame(stream, { type: "user", payload }, this.config.tcpTimeout);
    } finally {
      stream.close();
    }
  }

  /** Ping a node once over UDP: resolves with the round-trip time in ms, rejects after probeTimeout. */
  ping(name: string, addr: string): Promise<number> {
    return this.prober.ping(name, addr);
  }

  /** Live members (alive or suspect), ourselves included. Do not modify the objects. */
  members(): Node[] {
    return this.table.nodes.filter((r) => !isDeadOrLeft(r.state)).map((r) => r.node);
  }

  /** Number of live members (alive or suspect), ourselves included. */
  numMembers(): number {
    let n = 0;
    for (const r of this.table.nodes) if (!isDeadOrLeft(r.state)) n++;
    return n;
  }

  /** Every known node with its state, dead and left ones not yet reaped included. */
  memberStates(): MemberInfo[] {
    return this.table.infos();
  }

  /** The state of one node, if known. */
  memberState(name: string): MemberInfo | undefined {
    const r = this.table.get(name);
    return r === undefined ? undefined : { node: r.node, state: r.state, incarnation: r.incarnation, stateChange: r.stateChange };
  }

  /** Ourselves. */
  localNode(): Node {
    const r = this.table.local();
    if (r === undefined) throw new Error("local node is not in the node map");
    return r.node;
  }

  /** Size of the node table (memberlist's estNumNodes: drives retransmit limits and timeouts). */
  estNumNodes(): number {
    return this.table.numNodes;
  }

  /** Lifeguard health score: 0 is healthy, higher means this node is struggling. */
  getHealthScore(): number {
    return this.awareness.getHealthScore();
  }

  /** The protocol version spoken. */
  protocolVersion(): number {
    return this.config.protocolVersion;
  }

  /** The keyring (null without encryption): add, use and remove keys on it to rotate them. */
  get keyring(): Keyring | null {
    return this.config.keyring;
  }

  /** True when packets and streams are encrypted. */
  encryptionEnabled(): boolean {
    return encryptionEnabled(this.config);
  }

  /** A snapshot of the traffic counters. */
  stats(): MemberlistStats {
    return cloneStats(this.counters);
  }

  /** True once shutdown() has been called. */
  hasShutdown(): boolean {
    return this.isShut;
  }

  /** True once leave() has been called. */
  hasLeft(): boolean {
    return this.left;
  }

  /**
   * Feed one datagram to the packet handler as if the transport had received
   * it (for tests and tools replaying captured traffic).
   */
  ingestPacket(buf: Uint8Array, from: string): void {
    if (!this.isShut) this.receiver.ingest({ buf, from, timestamp: this.config.clock.now() });
  }
}

