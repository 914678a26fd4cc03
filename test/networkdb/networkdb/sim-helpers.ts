/**
 * Test helpers for NetworkDB simulations: small clusters on the simulator,
 * value helpers, and replay of crafted or captured messages into a node.
 */
import {
  TableEventType,
  encodeBulkSyncMessage,
  encodeCompound,
  encodeTableEventMessage,
} from "../../../src/networkdb/codec.js";
import type { NetworkDBConfig } from "../../../src/networkdb/config.js";
import type { Config as MemberlistConfig } from "../../../src/networkdb/memberlist/index.js";
import { Simulator, type SimNode } from "../../../src/networkdb/simulator.js";

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** A simulator of `n` nodes formed into one cluster, every node in `networks`. */
export async function cluster(
  n: number,
  options: {
    seed?: number;
    networks?: string[];
    config?: Partial<NetworkDBConfig>;
    memberlist?: Partial<MemberlistConfig>;
    loss?: number;
  } = {},
): Promise<Simulator> {
  const sim = await Simulator.create({
    nodes: n,
    seed: options.seed ?? 1,
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.memberlist !== undefined ? { memberlist: options.memberlist } : {}),
    ...(options.loss !== undefined ? { loss: options.loss } : {}),
  });
  await sim.formCluster({ networks: options.networks ?? [] });
  for (const nid of options.networks ?? []) await waitNetwork(sim, nid, sim.nodes);
  return sim;
}

/** Run until every one of `members` lists exactly `members` in `nid`. */
export async function waitNetwork(sim: Simulator, nid: string, members: readonly SimNode[]): Promise<void> {
  const spent = await sim.runUntil(() => members.every((m) => m.db.networkSize(nid) === members.length), 60_000, 50);
  if (spent < 0) throw new Error(`network ${nid} did not converge`);
}

/** The memberlist Node of `target` as `from` knows it. */
export function nodeOf(from: SimNode, target: SimNode) {
  const n = from.db.memberlist.members().find((m) => m.name === target.name);
  if (n === undefined) throw new Error(`${from.name} does not know ${target.name}`);
  return n;
}

/** The TABLE_EVENT a node sent for its entry, rebuilt byte for byte (the encoder is deterministic). */
export function tableEventBytes(fields: {
  type: "create" | "update" | "delete";
  ltime: number;
  owner: string;
  nid: string;
  table: string;
  key: string;
  value: Uint8Array;
  residual?: number;
}): Uint8Array {
  return encodeTableEventMessage({
    type: fields.type === "create" ? TableEventType.Create : fields.type === "update" ? TableEventType.Update : TableEventType.Delete,
    ltime: fields.ltime,
    node: fields.owner,
    nid: fields.nid,
    table: fields.table,
    key: fields.key,
    value: fields.value,
    residualReapTime: fields.residual ?? (fields.type === "delete" ? 1800 : 0),
  });
}

/** Feed `events` (GossipMessages) to `to` as one datagram from `from`, as gossip would bring them. */
export function injectDatagram(to: SimNode, from: SimNode, events: Uint8Array[]): void {
  const compound = encodeCompound(events);
  const packet = new Uint8Array(compound.length + 1);
  packet[0] = 8; // memberlist user message
  packet.set(compound, 1);
  to.db.memberlist.ingestPacket(packet, from.addr);
}

/** Send `events` to `to` inside a BULK_SYNC from `from`, over TCP (not unsolicited: no answer). */
export async function injectBulkSync(sim: Simulator, from: SimNode, to: SimNode, nid: string, events: Uint8Array[]): Promise<void> {
  const msg = encodeBulkSyncMessage({
    ltime: 0,
    unsolicited: false,
    node: from.name,
    networks: [nid],
    payload: encodeCompound(events),
  });
  await sim.settle(from.db.memberlist.sendReliable(nodeOf(from, to), msg));
  await sim.run(20);
}

/** The entry of a key as one node stores it (tombstones included), from diagnostics. */
export function storedEntry(node: SimNode, table: string, nid: string, key: string) {
  return node.db.diagnostics().tables[table]?.find((e) => e.nid === nid && e.key === key);
}
