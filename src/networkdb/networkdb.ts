/**
 * NetworkDB: the cluster-wide database of per-network tables that drivers
 * share, wire-compatible with Docker's (Go) NetworkDB on top of memberlist.
 *
 * A node joins the cluster (join), then the networks it has endpoints on
 * (joinNetwork). Entries are written into (table, network, key) by their
 * owner node and reach every node of that network: at once by direct
 * datagrams (cnm's fast path), by gossip rounds that repair losses, and by
 * TCP bulk syncs when a node joins a network and periodically. Watchers
 * hear every change made elsewhere. When a node leaves a network or the
 * cluster, or fails, its entries disappear everywhere. Deleted entries stay
 * as tombstones for reapEntryInterval so that no late or replayed create
 * can bring them back.
 *
 * This class is the API; the rules live in the modules it wires together
 * (delegate.ts, event-delegate.ts, bulk-sync.ts, direct-send.ts, gossip.ts,
 * maintenance.ts, ownership.ts).
 */
import { ClusterBroadcasts, NetworkEventBroadcast, NodeEventBroadcast, TableEventBroadcast, newTableQueue } from "./broadcasts.js";
import { BulkSyncer } from "./bulk-sync.js";
import {
  MembershipEventType,
  TableEventType,
  encodeNetworkEventMessage,
  encodeNodeEventMessage,
  encodeTableEventMessage,
} from "./codec.js";
import { defaultConfig, reapNetworkInterval, validateConfig, type NetworkDBConfig } from "./config.js";
import { randomPeers, type Context } from "./context.js";
import { newCounters } from "./counters.js";
import { datagramBudget, fitsAlone } from "./datagram.js";
import { MessageHandler, NetworkDBDelegate } from "./delegate.js";
import { collectDiagnostics, type DiagnosticsOptions, type NetworkDBDiagnostics } from "./diagnostics.js";
import { DirectSender } from "./direct-send.js";
import { NetworkDBEventDelegate } from "./event-delegate.js";
import { newClocks } from "./lamport.js";
import { Maintenance } from "./maintenance.js";
import { Keyring, Memberlist, deferred, withTimeout } from "./memberlist/index.js";
import { Networks, type LocalNetwork } from "./networks.js";
import { ClusterNodes } from "./nodes.js";
import { markNetworkEntriesDeleted } from "./ownership.js";
import { NetworkDBError } from "./errors.js";
import { TableStore, storedValue, valueBytes, type TableEntry } from "./tables.js";
import { WatchHub, type Watch, type WatchEvent } from "./watch.js";

/** A member of the cluster or of a network. */
export interface PeerInfo {
  /** Node name (ID). */
  name: string;
  /** Its IP address ("unknown" for a network member memberlist does not list as alive). */
  ip: string;
}

/** A live entry of a table. */
export interface TableElem {
  value: Uint8Array;
  /** The node that wrote it. */
  owner: string;
}

/** Up to this many members, a network event is sent to each of them at once (see sendNetworkEvent). */
const DIRECT_NETWORK_EVENT_CLUSTER = 64;

/** How long a node alone in a network waits for a newcomer's join sync before pulling from it. */
const JOIN_SYNC_GRACE = 1000;

export class NetworkDB {
  readonly config: NetworkDBConfig;
  private readonly ctx: Context;
  private readonly handler: MessageHandler;
  private readonly direct: DirectSender;
  private readonly syncer: BulkSyncer;
  private readonly maintenance: Maintenance;
  private bootstrapAddrs: string[] = [];

  /**
   * Start a node: memberlist listening (on config.bindAddr:bindPort, or the
   * given transport), periodic tasks running, in no cluster yet.
   */
  static async create(options: Partial<NetworkDBConfig> = {}): Promise<NetworkDB> {
    const config: NetworkDBConfig = { ...defaultConfig(), ...options };
    // Our own copies: setKey/removeKey edit the list.
    config.keys = config.keys.map((k) => k.slice());
    validateConfig(config);
    const db = new NetworkDB(config);
    const ml = await Memberlist.create({
      ...config.memberlist,
      name: config.nodeId,
      bindAddr: config.bindAddr,
      bindPort: config.bindPort,
      advertiseAddr: config.advertiseAddr,
      advertisePort: config.advertisePort,
      udpBufferSize: config.packetBufferSize,
      keyring: config.keys.length > 0 ? new Keyring(config.keys, config.keys[0]) : null,
      delegate: new NetworkDBDelegate(db.ctx, db.handler),
      events: new NetworkDBEventDelegate(db.ctx),
      clock: config.clock,
      random: config.random,
      logger: config.logger,
    });
    db.ctx.ml = ml;
    db.maintenance.start();
    return db;
  }

  private constructor(config: NetworkDBConfig) {
    this.config = config;
    const nodes = new ClusterNodes();
    const retransmitMult = config.memberlist.retransmitMult ?? 4;
    this.ctx = {
      config,
      self: config.nodeId,
      clock: config.clock,
      random: config.random,
      logger: config.logger,
      clocks: newClocks(),
      store: new TableStore(),
      networks: new Networks(config.nodeId),
      nodes,
      broadcasts: new ClusterBroadcasts(() => nodes.numActive, retransmitMult),
      watchers: new WatchHub(config.logger),
      counters: newCounters(),
      ml: null,
      closed: false,
      onNetworkJoin: (nid, node) => this.networkJoinSeen(nid, node),
    };
    this.direct = new DirectSender(this.ctx);
    this.syncer = new BulkSyncer(this.ctx);
    this.handler = new MessageHandler(this.ctx, {
      bulkSyncReceived: (bsm) => {
        // A peer's whole table of the network (every bulk sync carries one):
        // we are no longer alone in it.
        for (const nid of bsm.networks) {
          const network = this.ctx.networks.local(nid);
          if (network !== undefined) network.awaitingPeer = false;
        }
        this.syncer.received(bsm);
      },
      forward: (nid, msg) => this.forward(nid, msg),
    });
    this.maintenance = new Maintenance(this.ctx, this.syncer, {
      sendNodeEvent: (type) => this.sendNodeEvent(type),
      bootstrap: () => this.bootstrapAddrs,
    });
  }

  /** This node's name in the cluster. */
  get nodeId(): string {
    return this.ctx.self;
  }

  /** The memberlist underneath (membership, keyring, traffic counters). */
  get memberlist(): Memberlist {
    if (this.ctx.ml === null) throw new Error("networkdb: not started");
    return this.ctx.ml;
  }

  /** The port memberlist listens on (the bound one when config.bindPort was 0). */
  get port(): number {
    return this.memberlist.config.bindPort;
  }

  /**
   * Join the cluster through `members` ("ip", "ip:port", "host:port"):
   * memberlist push/pulls with each (which also brings every node's network
   * attachments), then a node JOIN event is gossiped. Rejects when no
   * member could be reached. The addresses are kept as bootstrap nodes: if
   * none of them is a member later, they are joined again.
   */
  async join(members: readonly string[]): Promise<void> {
    this.assertOpen();
    this.bootstrapAddrs = [...members];
    await this.memberlist.join(members);
    await this.sendNodeEvent(MembershipEventType.Join);
  }

  /**
   * Join a network: gossip the attachment (and tell the network's current
   * peers directly), then bulk sync its tables with a few of them.
   * Resolves when that first sync is done (or failed: periodic syncs
   * follow); entries can be written as soon as the call is made.
   */
  async joinNetwork(nid: string): Promise<void> {
    this.assertOpen();
    const { ctx } = this;
    const ltime = ctx.clocks.network.increment();
    const existing = ctx.networks.local(nid);
    const network: LocalNetwork = {
      id: nid,
      ltime,
      leaving: false,
      reapAt: 0,
      inSync: false,
      awaitingPeer: false,
      tableBroadcasts:
        existing?.tableBroadcasts ??
        newTableQueue(() => ctx.networks.countOf(nid), ctx.config.tableRetransmitMult, ctx.config.maxTableQueueLen),
      messagesSent: 0,
    };
    ctx.networks.setLocal(network);
    this.sendNetworkEvent(nid, MembershipEventType.Join, ltime);
    // Alone as far as we know: sync with the first peer we hear of instead (networkJoinSeen).
    network.awaitingPeer = ctx.networks.countOf(nid) <= 1;
    await this.syncer.syncOnJoin(nid);
    // Best effort, as Docker: re-gossip starts once the first sync is over, whatever its result.
    if (ctx.networks.local(nid) === network) network.inSync = true;
  }

  /**
   * Leave a network: gossip the leave, mark our entries there deleted and
   * drop the others' (watchers hear a delete for each), stop gossiping it.
   */
  async leaveNetwork(nid: string): Promise<void> {
    this.assertOpen();
    const { ctx } = this;
    const network = ctx.networks.local(nid);
    if (network === undefined || network.leaving) {
      throw new NetworkDBError("not-found", `network ${nid} is not joined`);
    }
    const ltime = ctx.clocks.network.increment();
    this.sendNetworkEvent(nid, MembershipEventType.Leave, ltime);
    ctx.networks.removeNode(nid, ctx.self);
    markNetworkEntriesDeleted(ctx, nid, ctx.self);
    network.ltime = ltime;
    network.leaving = true;
    network.reapAt = ctx.clock.now() + reapNetworkInterval(ctx.config);
    ctx.networks.noteLeaving(network.reapAt);
  }

  /**
   * Create an entry owned by this node. Throws NetworkDBError "exists" when
   * the key holds a live entry (a tombstone may be recreated), "not-joined"
   * when this node is not in the network.
   */
  createEntry(table: string, nid: string, key: string, value: Uint8Array): void {
    const old = this.writable(table, nid, key, value);
    if (old !== undefined && !old.deleting) {
      throw new NetworkDBError("exists", `entry ${table}/${nid}/${key} already exists`);
    }
    this.write(TableEventType.Create, table, nid, key, value, false);
  }

  /** Replace the value of a live entry (this node becomes its owner). Throws "not-found" without one. */
  updateEntry(table: string, nid: string, key: string, value: Uint8Array): void {
    const old = this.writable(table, nid, key, value);
    if (old === undefined || old.deleting) {
      throw new NetworkDBError("not-found", `entry ${table}/${nid}/${key} does not exist`);
    }
    this.write(TableEventType.Update, table, nid, key, value, false);
  }

  /** Delete a live entry: it becomes a tombstone, gossiped with its last value. Throws "not-found" without one. */
  deleteEntry(table: string, nid: string, key: string): void {
    const old = this.writable(table, nid, key, null);
    if (old === undefined || old.deleting) {
      throw new NetworkDBError("not-found", `entry ${table}/${nid}/${key} does not exist or is being deleted`);
    }
    this.write(TableEventType.Delete, table, nid, key, valueBytes(old.value), true);
  }

  /** The value of a live entry (a copy), or undefined. */
  getEntry(table: string, nid: string, key: string): Uint8Array | undefined {
    const e = this.ctx.store.get(table, nid, key);
    return e === undefined || e.deleting ? undefined : valueBytes(e.value);
  }

  /** The live entries of a table in a network, by key (values are copies). */
  getTableByNetwork(table: string, nid: string): Map<string, TableElem> {
    const out = new Map<string, TableElem>();
    for (const [key, e] of this.ctx.store.tableOf(table, nid) ?? []) {
      if (!e.deleting) out.set(key, { value: valueBytes(e.value), owner: e.owner });
    }
    return out;
  }

  /**
   * Call `fn(nid, key, value, deleting)` for every entry of `table` in every
   * network, tombstones included (as Docker's WalkTable); returning true
   * stops the walk. Values are copies.
   */
  walkTable(table: string, fn: (nid: string, key: string, value: Uint8Array, deleting: boolean) => boolean | void): void {
    const snapshot: [string, string, TableEntry][] = [...this.ctx.store.table(table)];
    for (const [nid, key, e] of snapshot) if (fn(nid, key, valueBytes(e.value), e.deleting) === true) return;
  }

  /**
   * Watch changes made elsewhere to `table` in `nid` (undefined: any).
   * With a listener, events are delivered to it; otherwise iterate the
   * returned Watch (for await). close() it when done. Event values are
   * shared: do not modify them.
   */
  watch(table?: string, nid?: string, listener?: (event: WatchEvent) => void): Watch {
    return this.ctx.watchers.watch({ table, nid }, listener ?? null);
  }

  /** The nodes of a network (ourselves included when joined). */
  peers(nid: string): PeerInfo[] {
    return this.ctx.networks.peersOf(nid).map((name) => {
      const n = this.ctx.nodes.get(name);
      return { name, ip: n !== undefined && n.state === "active" ? n.node.addr : "unknown" };
    });
  }

  /** Number of active members of the cluster (ourselves included): clusterPeers().length, cheaply. */
  clusterSize(): number {
    return this.ctx.nodes.numActive;
  }

  /** Number of nodes in a network (ourselves included when joined): peers(nid).length, cheaply. */
  networkSize(nid: string): number {
    return this.ctx.networks.countOf(nid);
  }

  /** The active members of the cluster (ourselves included). */
  clusterPeers(): PeerInfo[] {
    return this.ctx.nodes.active().map((n) => ({ name: n.node.name, ip: n.node.addr }));
  }

  /** Install an encryption key (it decrypts at once; setPrimaryKey makes it the one that encrypts). */
  setKey(key: Uint8Array): void {
    const ring = this.memberlist.keyring;
    if (ring === null) throw new Error("networkdb: encryption is not enabled (no keys at creation)");
    ring.addKey(key);
    if (!this.config.keys.some((k) => Buffer.compare(k, key) === 0)) this.config.keys.push(key.slice());
  }

  /** Make an installed key the primary (encrypting) one. */
  setPrimaryKey(key: Uint8Array): void {
    this.memberlist.keyring?.useKey(key);
  }

  /** Remove a key (not the primary one). */
  removeKey(key: Uint8Array): void {
    this.memberlist.keyring?.removeKey(key);
    const i = this.config.keys.findIndex((k) => Buffer.compare(k, key) === 0);
    if (i >= 0) this.config.keys.splice(i, 1);
  }

  /** A snapshot of everything this node knows, with queue lengths and counters. */
  diagnostics(options: DiagnosticsOptions = {}): NetworkDBDiagnostics {
    return collectDiagnostics(this.ctx, options);
  }

  /**
   * Docker's network statistics of a network this node is in: its entries
   * (tombstones included, as Docker's entriesNumber) and the length of its
   * table-event gossip queue; undefined when not joined.
   */
  networkStats(nid: string): { entries: number; queueLen: number } | undefined {
    const local = this.ctx.networks.local(nid);
    if (local === undefined || local.leaving) return undefined;
    return { entries: this.ctx.store.countNetwork(nid), queueLen: local.tableBroadcasts.numQueued() };
  }

  /**
   * Leave the cluster gracefully: gossip a node LEAVE event, memberlist
   * leave (others see "left" at once, not a failure), then stop.
   */
  async close(): Promise<void> {
    if (this.ctx.closed) return;
    const ml = this.memberlist;
    await this.sendNodeEvent(MembershipEventType.Leave);
    try {
      await ml.leave(1000);
    } catch (err) {
      this.ctx.logger.warn(`networkdb ${this.ctx.self}: leave: ${(err as Error).message}`);
    }
    await this.shutdown();
  }

  /** Stop at once, without telling anyone (peers detect a failure, as if the process died). */
  async shutdown(): Promise<void> {
    if (this.ctx.closed && this.ctx.ml?.hasShutdown()) return;
    this.ctx.closed = true;
    this.maintenance.stop();
    this.direct.cancel();
    this.syncer.cancel();
    this.ctx.watchers.closeAll();
    await this.ctx.ml?.shutdown();
  }

  // ------------------------------------------------------------ internals

  /** Checks common to all writes; returns the entry currently at the key. */
  private writable(table: string, nid: string, key: string, value: Uint8Array | null): TableEntry | undefined {
    this.assertOpen();
    const network = this.ctx.networks.local(nid);
    if (network === undefined || network.leaving) {
      throw new NetworkDBError("not-joined", `network ${nid} is not joined`);
    }
    if (value !== null && value.length + key.length + table.length + nid.length > this.config.bulkSyncChunkBytes - 1024) {
      throw new NetworkDBError("too-large", `a value of ${value.length} bytes does not fit a bulk sync message`);
    }
    return this.ctx.store.get(table, nid, key);
  }

  /** Store a local write and send it: at once to the network's peers, and into the gossip queue. */
  private write(type: number, table: string, nid: string, keyArg: string, value: Uint8Array, deleting: boolean): void {
    const { ctx } = this;
    // The key is kept as long as the entry: keep a string of its own. A
    // caller's key is often a slice of a larger string (a URL, a JSON
    // document), and V8 would keep all of that alive through the slice: an
    // HTTP-fed node held 350 bytes more per entry. (Through UTF-8, as the
    // key travels: a lone surrogate would reach peers as U+FFFD anyway.)
    const key = Buffer.from(keyArg, "utf8").toString("utf8");
    const now = ctx.clock.now();
    const entry: TableEntry = {
      value: storedValue(value),
      owner: ctx.self,
      ltime: ctx.clocks.table.increment(),
      deleting,
      reapAt: deleting ? now + ctx.config.reapEntryInterval : 0,
    };
    ctx.store.set(table, nid, key, entry);
    const msg = encodeTableEventMessage({
      type,
      ltime: entry.ltime,
      node: ctx.self,
      nid,
      table,
      key,
      value,
      residualReapTime: deleting ? Math.trunc(ctx.config.reapEntryInterval / 1000) : 0,
    });
    const peers = ctx.networks.peersOf(nid);
    const targets = randomPeers(ctx.random, peers, ctx.config.directFanout, ctx.self);
    // Too big for a datagram: the direct path sends it over TCP, and it is
    // not queued for gossip (it would never fit a packet).
    if (fitsAlone(msg, datagramBudget(ctx))) {
      ctx.networks.local(nid)!.tableBroadcasts.queueBroadcast(new TableEventBroadcast(nid, table, key, msg));
    }
    this.direct.send(msg, targets);
  }

  /**
   * Another node joined a network. If we joined it before knowing any of
   * its members (so our join synced with nobody), sync with this one (ours
   * out, its in), unless a bulk sync reaches us first: usually the newcomer
   * knew we were in, and its join-time sync brings its table and takes ours
   * back. So wait a moment rather than have the table cross twice; when
   * both joined alone, whichever sync fires first serves both.
   */
  private networkJoinSeen(nid: string, node: string): void {
    const network = this.ctx.networks.local(nid);
    if (network === undefined || network.leaving || !network.awaitingPeer) return;
    this.ctx.clock.setTimeout(() => {
      if (this.ctx.closed || this.ctx.networks.local(nid) !== network || !network.awaitingPeer) return;
      network.awaitingPeer = false;
      void this.syncer.syncWithAll([node]);
    }, JOIN_SYNC_GRACE);
  }

  /** Forward a freshly learned table event to a few peers at once (forwardFanout). */
  private forward(nid: string, msg: Uint8Array): void {
    const fanout = this.config.forwardFanout;
    if (fanout <= 0) return;
    this.direct.send(msg, randomPeers(this.ctx.random, this.ctx.networks.peersOf(nid), fanout, this.ctx.self));
  }

  /**
   * Gossip a network event about ourselves through memberlist's queue, and
   * send it at once to the nodes that must hear it first: they must know we
   * are in before they send us their writes or accept ours. In a small
   * cluster that is every member, since the ones that joined the network a
   * moment ago are not known to be in it yet (two nodes joining together,
   * then writing, would otherwise miss each other's writes until the next
   * gossip round); in a large one, the network's known peers, and gossip,
   * whose piggybacking is cheaper than a datagram per member, does the rest.
   */
  private sendNetworkEvent(nid: string, type: number, ltime: number): void {
    const { ctx } = this;
    const msg = encodeNetworkEventMessage({ type, ltime, node: ctx.self, nid });
    ctx.broadcasts.network.queueBroadcast(new NetworkEventBroadcast(nid, ctx.self, msg));
    const ml = ctx.ml;
    if (ml === null) return;
    const targets =
      ctx.nodes.numActive <= DIRECT_NETWORK_EVENT_CLUSTER ? ctx.nodes.active().map((n) => n.node.name) : ctx.networks.peersOf(nid);
    for (const name of targets) {
      if (name === ctx.self) continue;
      const n = ctx.nodes.get(name);
      if (n?.state === "active") ml.sendBestEffort(n.node, msg);
    }
  }

  /**
   * Gossip a node event about ourselves and wait until it has been sent
   * enough times (or nodeEventTimeout passes; then only a warning: Docker
   * fails the join, but push/pulls carry the same news).
   */
  private async sendNodeEvent(type: number): Promise<void> {
    const { ctx } = this;
    const msg = encodeNodeEventMessage({ type, ltime: ctx.clocks.network.increment(), node: ctx.self });
    const sent = deferred<void>();
    ctx.broadcasts.node.queueBroadcast(new NodeEventBroadcast(msg, () => sent.resolve()));
    if (ctx.nodes.numActive <= 1) return;
    const done = await withTimeout(ctx.clock, sent.promise.then(() => true), ctx.config.nodeEventTimeout);
    if (done !== true) ctx.logger.warn(`networkdb ${ctx.self}: timed out broadcasting node event`);
  }

  private assertOpen(): void {
    if (this.ctx.closed) throw new NetworkDBError("closed", "networkdb is closed");
  }
}
