/**
 * Test helper: clusters of memberlist nodes on an in-memory network driven by
 * a virtual clock, with a recorder of membership events.
 */
import {
  MemNetwork,
  Memberlist,
  VirtualClock,
  seededRandom,
  type Config,
  type EventDelegate,
  type MemNetworkOptions,
  type Node,
} from "../../../src/networkdb/memberlist/index.js";

/** Records every membership event with its virtual time. */
export class EventLog implements EventDelegate {
  readonly events: { kind: "join" | "leave" | "update"; node: string; at: number }[] = [];
  constructor(private readonly clock: VirtualClock) {}
  notifyJoin(node: Node): void {
    this.events.push({ kind: "join", node: node.name, at: this.clock.now() });
  }
  notifyLeave(node: Node): void {
    this.events.push({ kind: "leave", node: node.name, at: this.clock.now() });
  }
  notifyUpdate(node: Node): void {
    this.events.push({ kind: "update", node: node.name, at: this.clock.now() });
  }
  count(kind: "join" | "leave" | "update", node?: string): number {
    return this.events.filter((e) => e.kind === kind && (node === undefined || e.node === node)).length;
  }
}

export interface SimNode {
  name: string;
  addr: string;
  ml: Memberlist;
  events: EventLog;
}

export interface Sim {
  clock: VirtualClock;
  net: MemNetwork;
  nodes: SimNode[];
}

/** Address of the i-th simulated node. */
export function simAddr(i: number): string {
  return `10.0.${i >> 8}.${(i & 0xff) + 1}:7946`;
}

/** Advance virtual time until `p` settles (or `maxMs` passes); returns its outcome. */
export async function settle<T>(clock: VirtualClock, p: Promise<T>, maxMs = 120_000, stepMs = 10): Promise<T> {
  let done = false;
  const tracked = p.finally(() => (done = true));
  tracked.catch(() => {});
  const start = clock.now();
  while (!done && clock.now() - start < maxMs) await clock.advance(stepMs);
  if (!done) throw new Error(`promise did not settle within ${maxMs} virtual ms`);
  return tracked;
}

/** Create `n` nodes (not joined). Node i is "n<i>" at simAddr(i), with its own seeded randomness. */
export async function createNodes(
  n: number,
  options: { seed?: number; config?: Partial<Config>; network?: Partial<MemNetworkOptions> } = {},
): Promise<Sim> {
  const seed = options.seed ?? 1;
  const clock = new VirtualClock();
  const net = new MemNetwork({ clock, random: seededRandom(seed), ...options.network });
  const nodes: SimNode[] = [];
  for (let i = 0; i < n; i++) nodes.push(await addNode({ clock, net, nodes }, i, seed, options.config));
  return { clock, net, nodes };
}

/** Add node `i` to a simulation (not joined). */
export async function addNode(sim: Sim, i: number, seed = 1, config: Partial<Config> = {}): Promise<SimNode> {
  const addr = simAddr(i);
  const events = new EventLog(sim.clock);
  const ml = await Memberlist.create({
    name: `n${i}`,
    transport: sim.net.createTransport(addr),
    clock: sim.clock,
    random: seededRandom(seed * 7919 + i),
    events,
    ...config,
  });
  return { name: `n${i}`, addr, ml, events };
}

/** Create `n` nodes and join each to node 0. */
export async function startCluster(
  n: number,
  options: { seed?: number; config?: Partial<Config>; network?: Partial<MemNetworkOptions> } = {},
): Promise<Sim> {
  const sim = await createNodes(n, options);
  for (const node of sim.nodes.slice(1)) {
    const contacted = await settle(sim.clock, node.ml.join([sim.nodes[0]!.addr]));
    if (contacted !== 1) throw new Error(`${node.name} contacted ${contacted} nodes`);
  }
  return sim;
}

/** True when every node in `nodes` lists exactly `names` as live members. */
export function allSee(nodes: readonly SimNode[], names: readonly string[]): boolean {
  const want = [...names].sort().join(",");
  return nodes.every(
    (n) =>
      n.ml
        .members()
        .map((m) => m.name)
        .sort()
        .join(",") === want,
  );
}

/** Shut every node down. */
export async function stopAll(sim: Sim): Promise<void> {
  for (const n of sim.nodes) await n.ml.shutdown();
}
