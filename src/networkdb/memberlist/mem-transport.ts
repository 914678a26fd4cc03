/**
 * An in-memory network of transports, for tests and simulation: every
 * datagram and stream segment is delivered by a clock timer after a latency,
 * so on a VirtualClock thousands of nodes run in one process, deterministically
 * given the seeded Random. Faults: per-datagram loss, latency (fixed or a
 * function of the endpoints), partitions between sets of addresses, crashes.
 *
 * Fault model, chosen to resemble what the Go capture shows:
 *  - UDP: a datagram is lost with probability `loss`, or when sender and
 *    receiver are partitioned at send time, or when nobody listens there.
 *  - TCP: streams are reliable and ordered (TCP retransmits), except across a
 *    partition, where segments vanish and the reader's deadline expires.
 *    Dialing a crashed or shut-down node fails after one round trip
 *    ("connection refused", the kernel's RST); dialing across a partition or
 *    to an address nobody ever used fails when the dial timeout expires.
 *  - crash(addr): the node goes silent at once; its open streams are closed
 *    (the peer reads end of stream, as when the kernel closes a dead
 *    process's sockets). revive(addr) lets it talk again.
 */
import { splitHostPort } from "./address.js";
import type { Clock } from "./clock.js";
import { seededRandom, type Random } from "./random.js";
import type { Packet, Stream, Transport, TransportHandlers } from "./transport.js";

/** One-way delay in ms for a segment from `from` to `to` (both "host:port"). */
export type LatencyFn = (from: string, to: string) => number;

export interface MemNetworkOptions {
  clock: Clock;
  /** Drives loss and jitter (default: seededRandom(1)). */
  random?: Random;
  /** One-way latency in ms, fixed or per pair (default 1 ms). */
  latency?: number | LatencyFn;
  /** Probability that a datagram is lost, 0..1 (default 0). */
  loss?: number;
}

/** Counters of what the network did, for diagnostics. */
export interface MemNetworkStats {
  packetsSent: number;
  packetsDelivered: number;
  packetsLost: number;
  packetsBlocked: number;
  packetsUnroutable: number;
  packetBytesDelivered: number;
  streamsOpened: number;
  streamsRefused: number;
  streamBytesDelivered: number;
}

export class MemNetwork {
  readonly clock: Clock;
  readonly stats: MemNetworkStats = {
    packetsSent: 0,
    packetsDelivered: 0,
    packetsLost: 0,
    packetsBlocked: 0,
    packetsUnroutable: 0,
    packetBytesDelivered: 0,
    streamsOpened: 0,
    streamsRefused: 0,
    streamBytesDelivered: 0,
  };
  private readonly random: Random;
  private latencyFn: LatencyFn;
  private loss: number;
  private readonly nodes = new Map<string, MemTransport>();
  /** Partitioned pairs, as "a|b" with a < b (host:port strings). */
  private readonly cuts = new Set<string>();
  private nextEphemeral = 40000;

  constructor(options: MemNetworkOptions) {
    this.clock = options.clock;
    this.random = options.random ?? seededRandom(1);
    this.latencyFn = toLatencyFn(options.latency ?? 1);
    this.loss = options.loss ?? 0;
  }

  /** A transport listening on `addr` ("ip:port"). Throws if the address is taken. */
  createTransport(addr: string): MemTransport {
    splitHostPort(addr);
    if (this.nodes.has(addr)) throw new Error(`address ${addr} is already in use`);
    const t = new MemTransport(this, addr);
    this.nodes.set(addr, t);
    return t;
  }

  setLatency(latency: number | LatencyFn): void {
    this.latencyFn = toLatencyFn(latency);
  }

  /** Probability (0..1) that any datagram is lost. */
  setLoss(loss: number): void {
    if (!(loss >= 0 && loss <= 1)) throw new Error("loss must be within [0, 1]");
    this.loss = loss;
  }

  /** Cut every pair (a, b) with a in `side1` and b in `side2` (addresses "ip:port"). */
  partition(side1: readonly string[], side2: readonly string[]): void {
    for (const a of side1) for (const b of side2) if (a !== b) this.cuts.add(pairKey(a, b));
  }

  /** Remove every partition. */
  heal(): void {
    this.cuts.clear();
  }

  /** True when `a` and `b` cannot reach each other because of a partition. */
  isPartitioned(a: string, b: string): boolean {
    return this.cuts.size > 0 && this.cuts.has(pairKey(a, b));
  }

  /** The node at `addr` stops: it neither sends nor receives, its streams close, dials to it are refused. */
  crash(addr: string): void {
    const t = this.nodes.get(addr);
    if (t === undefined) throw new Error(`no node at ${addr}`);
    t.crashed = true;
    t.closeAllStreams();
  }

  /** Undo crash(addr): the node's transport can send and receive again. */
  revive(addr: string): void {
    const t = this.nodes.get(addr);
    if (t === undefined) throw new Error(`no node at ${addr}`);
    t.crashed = false;
  }

  /** Forget a transport so its address can be reused (a restarted node). */
  remove(addr: string): void {
    const t = this.nodes.get(addr);
    if (t === undefined) return;
    t.crashed = true;
    t.closeAllStreams();
    this.nodes.delete(addr);
  }

  // ---- used by MemTransport ----

  /** @internal */
  latency(from: string, to: string): number {
    return Math.max(0, this.latencyFn(from, to));
  }

  /** @internal */
  sendPacket(from: MemTransport, buf: Uint8Array, to: string): void {
    this.stats.packetsSent++;
    if (this.loss > 0 && this.random() < this.loss) {
      this.stats.packetsLost++;
      return;
    }
    if (this.isPartitioned(from.addr, to)) {
      this.stats.packetsBlocked++;
      return;
    }
    const copy = buf.slice();
    this.clock.setTimeout(() => {
      const target = this.nodes.get(to);
      if (target === undefined || !target.canReceive()) {
        this.stats.packetsUnroutable++;
        return;
      }
      this.stats.packetsDelivered++;
      this.stats.packetBytesDelivered += copy.length;
      target.deliverPacket({ buf: copy, from: from.addr, timestamp: this.clock.now() });
    }, this.latency(from.addr, to));
  }

  /** @internal */
  dial(from: MemTransport, to: string, timeoutMs: number): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const target = this.nodes.get(to);
      const oneWay = this.latency(from.addr, to);
      const timedOut = (): void => reject(new Error(`dial tcp ${to}: i/o timeout`));
      if (target === undefined || this.isPartitioned(from.addr, to)) {
        // Nobody answers the SYN: the dialer waits for its timeout.
        this.clock.setTimeout(timedOut, timeoutMs);
        return;
      }
      const rtt = oneWay + this.latency(to, from.addr);
      if (rtt > timeoutMs) {
        this.clock.setTimeout(timedOut, timeoutMs);
        return;
      }
      this.clock.setTimeout(() => {
        // The SYN arrives: a live listener accepts, anything else answers with a reset.
        if (!target.canReceive() || from.crashed) {
          this.stats.streamsRefused++;
          this.clock.setTimeout(() => reject(new Error(`dial tcp ${to}: connection refused`)), this.latency(to, from.addr));
          return;
        }
        this.stats.streamsOpened++;
        const localAddr = `${splitHostPort(from.addr).host}:${this.nextEphemeral++}`;
        const client = new MemStream(this, from, to);
        const server = new MemStream(this, target, localAddr);
        client.peer = server;
        server.peer = client;
        from.track(client);
        target.track(server);
        target.deliverStream(server);
        this.clock.setTimeout(() => {
          if (from.crashed) {
            client.close();
            reject(new Error(`dial tcp ${to}: transport is shut down`));
          } else {
            resolve(client);
          }
        }, this.latency(to, from.addr));
      }, oneWay);
    });
  }

  /** @internal */
  countStreamBytes(n: number): void {
    this.stats.streamBytesDelivered += n;
  }
}

/** A transport attached to a MemNetwork. */
export class MemTransport implements Transport {
  /** @internal */
  crashed = false;
  private handlers: TransportHandlers | undefined;
  private shutDown = false;
  private readonly streams = new Set<MemStream>();

  /** @internal */
  constructor(
    readonly network: MemNetwork,
    readonly addr: string,
  ) {}

  finalAdvertiseAddr(ip: string, port: number): { ip: string; port: number } {
    const own = splitHostPort(this.addr);
    return { ip: ip !== "" ? ip : own.host, port: port > 0 ? port : own.port };
  }

  listen(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  writeTo(buf: Uint8Array, addr: string): number {
    splitHostPort(addr);
    if (!this.crashed && !this.shutDown) this.network.sendPacket(this, buf, addr);
    return this.network.clock.now();
  }

  dialTimeout(addr: string, timeoutMs: number): Promise<Stream> {
    splitHostPort(addr);
    if (this.crashed || this.shutDown) return Promise.reject(new Error("transport is shut down"));
    return this.network.dial(this, addr, timeoutMs);
  }

  async shutdown(): Promise<void> {
    this.shutDown = true;
    this.closeAllStreams();
  }

  /** @internal */
  canReceive(): boolean {
    return !this.crashed && !this.shutDown && this.handlers !== undefined;
  }

  /** @internal */
  deliverPacket(packet: Packet): void {
    this.handlers?.onPacket(packet);
  }

  /** @internal */
  deliverStream(stream: MemStream): void {
    this.handlers?.onStream(stream);
  }

  /** @internal */
  track(s: MemStream): void {
    this.streams.add(s);
  }

  /** @internal */
  untrack(s: MemStream): void {
    this.streams.delete(s);
  }

  /** @internal */
  closeAllStreams(): void {
    for (const s of [...this.streams]) s.close();
  }
}

/** One end of an in-memory TCP connection. */
class MemStream implements Stream {
  peer: MemStream | undefined;
  private readonly chunks: Uint8Array[] = [];
  private reader: ((chunk: Uint8Array | null) => void) | undefined;
  /** No more bytes will arrive (peer FIN or local close). */
  private ended = false;
  private closed = false;
  /** Due time of the last segment sent, so segments never overtake each other. */
  private lastDue = 0;

  constructor(
    private readonly network: MemNetwork,
    private readonly owner: MemTransport,
    readonly remoteAddr: string,
  ) {}

  write(data: Uint8Array): Promise<void> {
    if (this.closed || this.owner.crashed) return Promise.reject(new Error("write on closed stream"));
    this.send(data.slice());
    return Promise.resolve();
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.ended || this.closed) return Promise.resolve(null);
    if (this.reader !== undefined) return Promise.reject(new Error("concurrent read on stream"));
    return new Promise((resolve) => (this.reader = resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.owner.untrack(this);
    this.send(null); // FIN, after any data still in flight
    this.chunks.length = 0;
    this.wake(null);
  }

  /** Queue a segment (bytes, or null for FIN) for the peer. */
  private send(data: Uint8Array | null): void {
    const peer = this.peer;
    if (peer === undefined) return;
    const from = this.owner.addr;
    const to = peer.owner.addr;
    if (this.network.isPartitioned(from, to)) return; // lost, FIN included; the reader's deadline expires
    const clock = this.network.clock;
    const due = Math.max(clock.now() + this.network.latency(from, to), this.lastDue);
    this.lastDue = due;
    clock.setTimeout(() => peer.receive(data), due - clock.now());
  }

  private receive(data: Uint8Array | null): void {
    if (this.closed) return;
    if (data === null) {
      this.ended = true;
      this.wake(null);
      return;
    }
    this.network.countStreamBytes(data.length);
    if (this.reader !== undefined) this.wake(data);
    else this.chunks.push(data);
  }

  private wake(value: Uint8Array | null): void {
    const r = this.reader;
    if (r === undefined) return;
    this.reader = undefined;
    r(value);
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function toLatencyFn(latency: number | LatencyFn): LatencyFn {
  return typeof latency === "number" ? () => latency : latency;
}
