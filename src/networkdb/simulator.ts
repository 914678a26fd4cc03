/**
 * A deterministic simulator of NetworkDB clusters: N nodes in one process on
 * memberlist's in-memory network (MemNetwork) and a VirtualClock, every
 * random choice seeded, so a run is replayed exactly from its seed. Faults:
 * datagram loss, latency (fixed or per pair), partitions, crashes (a node
 * goes silent; revive lets it talk again, as a paused or isolated process).
 *
 * Large clusters cost wall time in proportion to the messages exchanged,
 * and forming a cluster is quadratic in its size: every node must hear of
 * every other (memberlist's alive messages) and of every network
 * attachment (NetworkDB's network events), each re-gossiped by every node
 * that learns it. `lightMemberlist()` gives settings that keep the
 * protocol intact but spend less on it (no LZW compression); NetworkDB's
 * own settings are left as configured. Measured on a 2-core machine
 * (bench/networkdb-sim.ts), every node also joining one network: 100
 * nodes form in about 2 s of wall time, 1,000 nodes in about 6 minutes
 * (110 virtual s, 1.5 GB of heap); once formed, a virtual second of a
 * 1,000-node cluster costs about half a second.
 */
import type { NetworkDBConfig } from "./config.js";
import {
  MemNetwork,
  VirtualClock,
  nullLogger,
  seededRandom,
  type Config as MemberlistConfig,
  type LatencyFn,
  type Logger,
} from "./memberlist/index.js";
import { NetworkDB } from "./networkdb.js";

export interface SimulatorOptions {
  /** Nodes to create (more can be added later). */
  nodes: number;
  /** Seed of every random choice (network loss, each node's protocol choices). Default 1. */
  seed?: number;
  /** One-way latency in ms, fixed or per pair of addresses (default 1 ms). */
  latency?: number | LatencyFn;
  /** Probability that a datagram is lost (default 0). */
  loss?: number;
  /** NetworkDB settings for every node (node ID, clock, transport and randomness are the simulator's). */
  config?: Partial<NetworkDBConfig>;
  /** memberlist settings for every node (see lightMemberlist()). */
  memberlist?: Partial<MemberlistConfig>;
  /** Where nodes log (default: nowhere). */
  logger?: Logger;
}

export interface SimNode {
  index: number;
  /** Node ID: "n<index>". */
  name: string;
  /** "10.a.b.c:7946". */
  addr: string;
  db: NetworkDB;
  /** Crashed (silent) right now. */
  crashed: boolean;
}

export interface FormationOptions {
  /** Joins in flight at once (default 16): each new node joins one random node already in. */
  concurrency?: number;
  /**
   * Networks every node joins right after joining the cluster (node 0
   * first), as hosts do when their containers attach: the attachments then
   * spread with the cluster membership instead of in a burst afterwards.
   */
  networks?: readonly string[];
  /** Virtual ms to wait for every node to list every other as a member (default 600 s). */
  maxMs?: number;
}

/** The address of the i-th simulated node. */
export function simAddress(i: number): string {
  const n = i + 1;
  return `10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}:7946`;
}

/**
 * memberlist settings that keep the protocol but cost less wall time in
 * large simulations: no LZW (every datagram is otherwise compressed on trial,
 * and every stream always). Fewer retransmissions were tried and rejected:
 * membership news then misses nodes and waits for push/pulls, which costs
 * more virtual and wall time than it saves.
 */
export function lightMemberlist(): Partial<MemberlistConfig> {
  return { enableCompression: false };
}

export class Simulator {
  readonly clock: VirtualClock;
  readonly net: MemNetwork;
  readonly nodes: SimNode[] = [];
  private readonly seed: number;
  private readonly options: SimulatorOptions;

  static async create(options: SimulatorOptions): Promise<Simulator> {
    const sim = new Simulator(options);
    for (let i = 0; i < options.nodes; i++) await sim.addNode();
    return sim;
  }

  private constructor(options: SimulatorOptions) {
    this.options = options;
    this.seed = options.seed ?? 1;
    this.clock = new VirtualClock();
    this.net = new MemNetwork({
      clock: this.clock,
      random: seededRandom(this.seed),
      latency: options.latency ?? 1,
      loss: options.loss ?? 0,
    });
  }

  /** Create one more node (not joined to anything). */
  async addNode(overrides: Partial<NetworkDBConfig> = {}): Promise<SimNode> {
    const index = this.nodes.length;
    const addr = simAddress(index);
    const random = seededRandom(this.seed * 7919 + index);
    const db = await NetworkDB.create({
      ...this.options.config,
      ...overrides,
      nodeId: `n${index}`,
      hostname: `sim-${index}`,
      bindPort: 7946,
      clock: this.clock,
      random,
      logger: this.options.logger ?? nullLogger,
      memberlist: {
        ...this.options.memberlist,
        ...overrides.memberlist,
        transport: this.net.createTransport(addr),
      },
    });
    const node: SimNode = { index, name: `n${index}`, addr, db, crashed: false };
    this.nodes.push(node);
    return node;
  }

  /** Nodes not crashed. */
  live(): SimNode[] {
    return this.nodes.filter((n) => !n.crashed);
  }

  /** Advance virtual time until `p` settles (or `maxMs` passes: then throw); returns its outcome. */
  async settle<T>(p: Promise<T>, maxMs = 120_000, stepMs = 10): Promise<T> {
    // The outcome is held, not awaited, while time advances: a rejection is rethrown below, never left unhandled.
    const held: { outcome?: { value: T } | { error: unknown } } = {};
    p.then(
      (value) => (held.outcome = { value }),
      (error: unknown) => (held.outcome = { error }),
    );
    const start = this.clock.now();
    while (held.outcome === undefined && this.clock.now() - start < maxMs) await this.clock.advance(stepMs);
    if (held.outcome === undefined) throw new Error(`promise did not settle within ${maxMs} virtual ms`);
    if ("error" in held.outcome) throw held.outcome.error;
    return held.outcome.value;
  }

  /** Advance virtual time by `ms`. */
  async run(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  /**
   * Advance in steps of `stepMs` until `predicate()` holds; returns the
   * virtual ms it took, or -1 if it did not hold within `maxMs`.
   */
  runUntil(predicate: () => boolean, maxMs: number, stepMs = 100): Promise<number> {
    return this.clock.runUntil(predicate, maxMs, stepMs);
  }

  /**
   * Form one cluster of all nodes: node 0 is the seed; every other node
   * joins a random node already in (several joins in flight at once), then
   * time runs until every live node lists every live node. Returns the
   * virtual ms spent.
   */
  async formCluster(options: FormationOptions = {}): Promise<number> {
    const start = this.clock.now();
    const concurrency = options.concurrency ?? 16;
    const networks = options.networks ?? [];
    const pick = seededRandom(this.seed * 31 + 7);
    const first = this.nodes[0]!;
    await this.settle(Promise.all(networks.map((nid) => first.db.joinNetwork(nid))), 600_000);
    const joined: SimNode[] = [first];
    const waiting = this.nodes.slice(1);
    while (waiting.length > 0) {
      const batch = waiting.splice(0, concurrency);
      await this.settle(
        Promise.all(
          batch.map(async (n) => {
            const seed = joined[Math.floor(pick() * joined.length)]!;
            await n.db.join([seed.addr]);
            await Promise.all(networks.map((nid) => n.db.joinNetwork(nid)));
          }),
        ),
        600_000,
      );
      joined.push(...batch);
    }
    const spent = await this.runUntil(() => this.clusterConverged(), options.maxMs ?? 600_000, 200);
    if (spent < 0) throw new Error("cluster did not converge");
    return this.clock.now() - start;
  }

  /** True when every live node lists exactly the live nodes as cluster members. */
  clusterConverged(): boolean {
    const live = this.live();
    return live.every((n) => n.db.clusterSize() === live.length);
  }

  /** Make `nodes` join network `nid` (concurrently) and wait for their join-time syncs. */
  async joinNetwork(nid: string, nodes: readonly SimNode[] = this.nodes): Promise<void> {
    await this.settle(Promise.all(nodes.map((n) => n.db.joinNetwork(nid))), 600_000);
  }

  /**
   * Fraction of the live nodes among `members` whose (table, nid, key)
   * satisfies `has` (given the value or undefined).
   */
  coverage(
    members: readonly SimNode[],
    table: string,
    nid: string,
    key: string,
    has: (value: Uint8Array | undefined) => boolean,
  ): number {
    const live = members.filter((n) => !n.crashed);
    if (live.length === 0) return 1;
    let n = 0;
    for (const m of live) if (has(m.db.getEntry(table, nid, key))) n++;
    return n / live.length;
  }

  /**
   * True when the live nodes among `members` hold the same live entries of
   * (table, nid): same keys, values and owners.
   */
  tableConverged(members: readonly SimNode[], table: string, nid: string): boolean {
    let reference: string | null = null;
    for (const m of members) {
      if (m.crashed) continue;
      const t = m.db.getTableByNetwork(table, nid);
      const text = [...t]
        .map(([k, e]) => `${k}=${Buffer.from(e.value).toString("hex")}@${e.owner}`)
        .sort()
        .join(";");
      if (reference === null) reference = text;
      else if (text !== reference) return false;
    }
    return true;
  }

  /** The node goes silent at once (no leave): datagrams and streams to and from it vanish. */
  crash(node: SimNode): void {
    this.net.crash(node.addr);
    node.crashed = true;
  }

  /** A crashed node talks again (it kept running: a paused or isolated process). */
  revive(node: SimNode): void {
    this.net.revive(node.addr);
    node.crashed = false;
  }

  /** Cut every pair between `a` and `b`. */
  partition(a: readonly SimNode[], b: readonly SimNode[]): void {
    this.net.partition(
      a.map((n) => n.addr),
      b.map((n) => n.addr),
    );
  }

  /** Remove every partition. */
  heal(): void {
    this.net.heal();
  }

  /** Probability that a datagram is lost from now on. */
  setLoss(loss: number): void {
    this.net.setLoss(loss);
  }

  /** Stop every node (no leave). */
  async shutdown(): Promise<void> {
    for (const n of this.nodes) await n.db.shutdown();
  }
}
