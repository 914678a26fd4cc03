/**
 * The membership table and SWIM's state machine: what to do with alive,
 * suspect and dead messages (from the network, from our own probes, from
 * push/pull), incarnation numbers, refutation, and reaping of dead nodes.
 * Follows memberlist's state.go (aliveNode, suspectNode, deadNode, mergeState,
 * refute, resetNodes) rule for rule.
 */
import { encodeMessage, type Alive, type Dead, type PushNodeState, type Suspect } from "../wire/index.js";
import { bytesEqual, bytesToIp } from "./address.js";
import type { Awareness } from "./awareness.js";
import { MemberlistBroadcast, type TransmitLimitedQueue } from "./broadcast-queue.js";
import type { Config } from "./config.js";
import { kRandom, randomOffset, shuffle } from "./random.js";
import { isDeadOrLeft, versionBytes, wireState, type MemberInfo, type NodeRecord } from "./state.js";
import { Suspicion, suspicionTimeout } from "./suspicion.js";

/** What the state machine needs from the rest of memberlist. */
export interface MembersContext {
  readonly config: Config;
  readonly broadcasts: TransmitLimitedQueue;
  readonly awareness: Awareness;
  /** True once leave() has started. */
  hasLeft(): boolean;
  /** The dead-about-ourselves broadcast of a leave is done (sent enough times, or superseded). */
  leaveBroadcastDone(): void;
}

export class Members {
  /** Known nodes in probe order (shuffled on each full round). */
  readonly nodes: NodeRecord[] = [];
  private readonly byName = new Map<string, NodeRecord>();
  private readonly suspicions = new Map<string, Suspicion>();
  /** Our own incarnation counter (memberlist keeps it apart from our record). */
  private incarnation = 0;

  constructor(private readonly ctx: MembersContext) {}

  /** The record of `name`, if known. */
  get(name: string): NodeRecord | undefined {
    return this.byName.get(name);
  }

  /** Number of nodes in the table, dead ones not yet reaped included (memberlist's estNumNodes). */
  get numNodes(): number {
    return this.nodes.length;
  }

  /** Our own record (present from creation on). */
  local(): NodeRecord | undefined {
    return this.byName.get(this.ctx.config.name);
  }

  nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0;
    return this.incarnation;
  }

  private skipIncarnation(offset: number): number {
    this.incarnation = (this.incarnation + offset) >>> 0;
    return this.incarnation;
  }

  /** Snapshots of every known node with its state. */
  infos(): MemberInfo[] {
    return this.nodes.map((r) => ({ node: r.node, state: r.state, incarnation: r.incarnation, stateChange: r.stateChange }));
  }

  /** True when some other node is not dead. */
  anyAlive(): boolean {
    const self = this.ctx.config.name;
    return this.nodes.some((r) => !isDeadOrLeft(r.state) && r.node.name !== self);
  }

  /** Up to `k` random records, skipping those `exclude` rejects. */
  kRandomNodes(k: number, exclude: (r: NodeRecord) => boolean): NodeRecord[] {
    return kRandom(this.ctx.config.random, k, this.nodes, exclude);
  }

  /** A node is alive, or claims to be: memberlist's aliveNode. `bootstrap` is set for our own announcements. */
  aliveNode(a: Alive, notify: (() => void) | null, bootstrap: boolean): void {
    const { config } = this.ctx;
    const self = config.name;
    // A leave may race with an alive about ourselves already queued: do not rejoin.
    if (this.ctx.hasLeft() && a.Node === self) return;
    // memberlist indexes Vsn[0..5] blindly; a short Vsn would crash it. Ignore such a message.
    if (a.Vsn !== null && a.Vsn.length > 0 && a.Vsn.length < 6) {
      config.logger.warn(`ignoring alive message for '${a.Node}': version vector of ${a.Vsn.length} bytes`);
      return;
    }
    const addrBytes = a.Addr ?? new Uint8Array(0);

    let state = this.byName.get(a.Node);
    if (state === undefined) {
      state = {
        node: {
          name: a.Node,
          addr: bytesToIp(addrBytes),
          port: a.Port,
          meta: a.Meta,
          pMin: 0,
          pMax: 0,
          pCur: 0,
          dMin: 0,
          dMax: 0,
          dCur: 0,
        },
        addrBytes: addrBytes.slice(),
        incarnation: 0,
        state: "dead",
        stateChange: Number.NEGATIVE_INFINITY,
      };
      this.byName.set(a.Node, state);
      // Insert at a random position (swap with the tail), so that failure
      // detection of a new node is not always at the end of a probe round.
      const n = this.nodes.length;
      const offset = randomOffset(config.random, n);
      this.nodes.push(state);
      const other = this.nodes[offset]!;
      this.nodes[offset] = state;
      this.nodes[n] = other;
    }

    if (!bytesEqual(state.addrBytes, addrBytes) || state.node.port !== a.Port) {
      config.logger.error(
        `conflicting address for ${state.node.name}. Mine: ${state.node.addr}:${state.node.port} Theirs: ${bytesToIp(addrBytes)}:${a.Port}`,
      );
      config.conflict?.notifyConflict(state.node, {
        name: a.Node,
        addr: bytesToIp(addrBytes),
        port: a.Port,
        meta: a.Meta,
        pMin: a.Vsn?.[0] ?? 0,
        pMax: a.Vsn?.[1] ?? 0,
        pCur: a.Vsn?.[2] ?? 0,
        dMin: a.Vsn?.[3] ?? 0,
        dMax: a.Vsn?.[4] ?? 0,
        dCur: a.Vsn?.[5] ?? 0,
      });
      return;
    }

    const isLocal = state.node.name === self;
    // Old news about others; strictly older news about ourselves.
    if (a.Incarnation <= state.incarnation && !isLocal) return;
    if (a.Incarnation < state.incarnation && isLocal) return;

    this.clearSuspicion(a.Node);
    const oldState = state.state;
    const oldMeta = state.node.meta;

    if (!bootstrap && isLocal) {
      // Someone speaks for us. The same incarnation with the same content is
      // just our own alive coming back; anything else (e.g. a previous run of
      // this node) must be refuted.
      if (
        a.Incarnation === state.incarnation &&
        bytesEqual(a.Meta, state.node.meta) &&
        bytesEqual(a.Vsn, versionBytes(state.node))
      ) {
        return;
      }
      this.refute(state, a.Incarnation);
      config.logger.warn("refuting an alive message");
    } else {
      this.broadcast(a.Node, encodeMessage({ type: "alive", body: a }), notify);
      if (a.Vsn !== null && a.Vsn.length >= 6) {
        const n = state.node;
        [n.pMin, n.pMax, n.pCur, n.dMin, n.dMax, n.dCur] = [a.Vsn[0]!, a.Vsn[1]!, a.Vsn[2]!, a.Vsn[3]!, a.Vsn[4]!, a.Vsn[5]!];
      }
      state.incarnation = a.Incarnation;
      state.node.meta = a.Meta;
      if (state.state !== "alive") {
        state.state = "alive";
        state.stateChange = config.clock.now();
      }
    }

    const events = config.events;
    if (events !== null) {
      if (isDeadOrLeft(oldState)) events.notifyJoin(state.node);
      else if (!bytesEqual(oldMeta, state.node.meta)) events.notifyUpdate(state.node);
    }
  }

  /** Someone suspects a node: memberlist's suspectNode. */
  suspectNode(s: Suspect): void {
    const { config } = this.ctx;
    const state = this.byName.get(s.Node);
    if (state === undefined) return;
    if (s.Incarnation < state.incarnation) return;

    // Already suspected: count an independent confirmation, and re-gossip it if
    // it was news, so that confirmations spread even among nodes that agree.
    const timer = this.suspicions.get(s.Node);
    if (timer !== undefined) {
      if (timer.confirm(s.From)) this.broadcast(s.Node, encodeMessage({ type: "suspect", body: s }), null);
      return;
    }
    if (state.state !== "alive") return;

    if (state.node.name === config.name) {
      this.refute(state, s.Incarnation);
      config.logger.warn(`refuting a suspect message (from: ${s.From})`);
      return;
    }
    this.broadcast(s.Node, encodeMessage({ type: "suspect", body: s }), null);

    state.incarnation = s.Incarnation;
    state.state = "suspect";
    const changeTime = config.clock.now();
    state.stateChange = changeTime;

    // Aim to reach the minimum timeout two probe intervals short of the
    // nominal one: k confirmations wanted, none if the cluster is too small
    // (n - 2: ourselves and the suspect do not count).
    let k = config.suspicionMult - 2;
    const n = this.numNodes;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(config.suspicionMult, n, config.probeInterval);
    const max = config.suspicionMaxTimeoutMult * min;
    const onTimeout = (confirmations: number): void => {
      const current = this.byName.get(s.Node);
      if (current === undefined || current.state !== "suspect" || current.stateChange !== changeTime) return;
      this.suspicions.delete(s.Node);
      config.logger.info(
        `marking ${current.node.name} as failed, suspect timeout reached (${confirmations} peer confirmations)`,
      );
      this.deadNode({ Incarnation: current.incarnation, Node: current.node.name, From: config.name });
    };
    this.suspicions.set(s.Node, new Suspicion(s.From, k, min, max, onTimeout, config.clock));
  }

  /** A node is dead (or left, when it says so itself): memberlist's deadNode. */
  deadNode(d: Dead): void {
    const { config } = this.ctx;
    const state = this.byName.get(d.Node);
    if (state === undefined) return;
    if (d.Incarnation < state.incarnation) return;
    this.clearSuspicion(d.Node);
    if (isDeadOrLeft(state.state)) return;

    if (state.node.name === config.name) {
      if (!this.ctx.hasLeft()) {
        this.refute(state, d.Incarnation);
        config.logger.warn(`refuting a dead message (from: ${d.From})`);
        return;
      }
      // Leaving: gossip our own death and tell leave() once it has gone out.
      this.broadcast(d.Node, encodeMessage({ type: "dead", body: d }), () => this.ctx.leaveBroadcastDone());
    } else {
      this.broadcast(d.Node, encodeMessage({ type: "dead", body: d }), null);
    }

    state.incarnation = d.Incarnation;
    // A node declaring itself dead has left. This memberlist revision leaves
    // From empty in that case; later ones set it to the node itself.
    state.state = d.From === d.Node || d.From === "" ? "left" : "dead";
    state.stateChange = config.clock.now();
    config.events?.notifyLeave(state.node);
  }

  /**
   * Merge node states from a push/pull. Alive records go through aliveNode;
   * a node the peer thinks dead is only suspected here, so it gets a chance to
   * refute instead of being declared dead on hearsay.
   */
  mergeState(remote: readonly PushNodeState[]): void {
    const self = this.ctx.config.name;
    for (const r of remote) {
      if (r.State === 0) {
        this.aliveNode(
          { Incarnation: r.Incarnation, Node: r.Name, Addr: r.Addr, Port: r.Port, Meta: r.Meta, Vsn: r.Vsn },
          null,
          false,
        );
      } else {
        // Suspect (1), dead (2) and, from later memberlist versions, left (3).
        this.suspectNode({ Incarnation: r.Incarnation, Node: r.Name, From: self });
      }
    }
  }

  /**
   * Check that every node, local and remote, speaks protocol and delegate
   * versions inside the range all alive nodes understand. Throws otherwise.
   */
  verifyProtocol(remote: readonly PushNodeState[]): void {
    let maxpmin = 0;
    let minpmax = 255;
    let maxdmin = 0;
    let mindmax = 255;
    for (const r of remote) {
      if (r.State !== 0 || r.Vsn === null || r.Vsn.length === 0) continue;
      if (r.Vsn.length < 6) throw new Error(`node '${r.Name}' sent a version vector of ${r.Vsn.length} bytes`);
      maxpmin = Math.max(maxpmin, r.Vsn[0]!);
      minpmax = Math.min(minpmax, r.Vsn[1]!);
      maxdmin = Math.max(maxdmin, r.Vsn[3]!);
      mindmax = Math.min(mindmax, r.Vsn[4]!);
    }
    for (const { node, state } of this.nodes) {
      if (state !== "alive") continue;
      maxpmin = Math.max(maxpmin, node.pMin);
      minpmax = Math.min(minpmax, node.pMax);
      maxdmin = Math.max(maxdmin, node.dMin);
      mindmax = Math.min(mindmax, node.dMax);
    }
    const check = (name: string, pcur: number, dcur: number): void => {
      if (pcur < maxpmin || pcur > minpmax) {
        throw new Error(`node '${name}' protocol version (${pcur}) is incompatible: [${maxpmin}, ${minpmax}]`);
      }
      if (dcur < maxdmin || dcur > mindmax) {
        throw new Error(`node '${name}' delegate protocol version (${dcur}) is incompatible: [${maxdmin}, ${mindmax}]`);
      }
    };
    for (const r of remote) {
      const vsn = r.Vsn !== null && r.Vsn.length >= 6 ? r.Vsn : null;
      check(r.Name, vsn?.[2] ?? 0, vsn?.[5] ?? 0);
    }
    for (const { node } of this.nodes) check(node.name, node.pCur, node.dCur);
  }

  /**
   * Start of a probe round: forget nodes dead (or left) for longer than
   * gossipToTheDeadTime, then shuffle the rest.
   */
  resetNodes(): void {
    const { config } = this.ctx;
    const now = config.clock.now();
    const kept: NodeRecord[] = [];
    for (const r of this.nodes) {
      if (isDeadOrLeft(r.state) && now - r.stateChange > config.gossipToTheDeadTime) {
        this.byName.delete(r.node.name);
      } else {
        kept.push(r);
      }
    }
    this.nodes.length = 0;
    this.nodes.push(...kept);
    shuffle(config.random, this.nodes);
  }

  /** Our node states for a push/pull (Meta and Vsn as stored; left is sent as dead). */
  pushStates(): PushNodeState[] {
    return this.nodes.map((r) => ({
      Name: r.node.name,
      Addr: r.addrBytes,
      Port: r.node.port,
      Meta: r.node.meta,
      Incarnation: r.incarnation,
      State: wireState(r.state),
      Vsn: versionBytes(r.node),
    }));
  }

  /** Stop every suspicion timer (shutdown). */
  stopTimers(): void {
    for (const s of this.suspicions.values()) s.cancel();
    this.suspicions.clear();
  }

  /**
   * We are accused (suspect, dead, or a conflicting alive): announce ourselves
   * alive with an incarnation above the accusation's.
   */
  private refute(me: NodeRecord, accusedInc: number): void {
    let inc = this.nextIncarnation();
    if (accusedInc >= inc) inc = this.skipIncarnation(accusedInc - inc + 1);
    me.incarnation = inc;
    // Having to refute is a sign that we are slow: lower our health.
    this.ctx.awareness.applyDelta(1);
    const a: Alive = {
      Incarnation: inc,
      Node: me.node.name,
      Addr: me.addrBytes,
      Port: me.node.port,
      Meta: me.node.meta,
      Vsn: versionBytes(me.node),
    };
    // memberlist queues a refutation under our address, not our name (so it
    // does not invalidate other queued messages about us). Kept for parity.
    this.broadcast(me.node.addr, encodeMessage({ type: "alive", body: a }), null);
  }

  private broadcast(key: string, msg: Uint8Array, notify: (() => void) | null): void {
    this.ctx.broadcasts.queueBroadcast(new MemberlistBroadcast(key, msg, notify));
  }

  private clearSuspicion(name: string): void {
    const s = this.suspicions.get(name);
    if (s === undefined) return;
    s.cancel();
    this.suspicions.delete(name);
  }
}

