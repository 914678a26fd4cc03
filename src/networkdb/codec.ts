/**
 * NetworkDB's messages as this layer handles them: plain objects with
 * Lamport times as numbers, and raw GossipMessage bytes kept where they are
 * forwarded unchanged (re-gossip sends the very bytes it received, as Go
 * does).
 *
 * The hot messages (the GossipMessage envelope, COMPOUND framing,
 * TableEvent: every datagram and every bulk-synced entry; network and node
 * events are read by hand too, since every node re-gossips them) are read
 * and written here by hand, because the generated protobuf-es code costs
 * several microseconds per message and a bulk sync or a large simulation
 * handles millions. The output is byte-identical to gogoproto's (fields in
 * ascending order, proto3 zero values omitted), which the tests check
 * against the generated codec and the captured Go traffic. The rare
 * messages (network, node, push/pull, bulk-sync headers) go through the
 * generated code in src/networkdb/proto.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { WireError, pb } from "./wire/index.js";
import { decodeUtf8 } from "./wire/utf8.js";

/** GossipMessage types (networkdb.proto's MessageType). */
export const GossipType = {
  NetworkEvent: 1,
  TableEvent: 2,
  PushPull: 3,
  BulkSync: 4,
  Compound: 5,
  NodeEvent: 6,
} as const;

/** TableEvent.Type. */
export const TableEventType = { Create: 1, Update: 2, Delete: 3 } as const;
/** NetworkEvent.Type and NodeEvent.Type. */
export const MembershipEventType = { Join: 1, Leave: 2 } as const;

/** A TableEvent with its times as numbers. `value` may be a view into the received bytes: copy it to keep it. */
export interface TableEventFields {
  type: number;
  ltime: number;
  /** The entry's owner. */
  node: string;
  nid: string;
  table: string;
  key: string;
  value: Uint8Array;
  /** Seconds a tombstone still lives (DELETE only; 0 is omitted on the wire). */
  residualReapTime: number;
}

export interface NetworkEventFields {
  type: number;
  ltime: number;
  node: string;
  nid: string;
}

export interface NodeEventFields {
  type: number;
  ltime: number;
  node: string;
}

export interface NetworkEntryFields {
  nid: string;
  ltime: number;
  node: string;
  leaving: boolean;
}

export interface PushPullFields {
  ltime: number;
  networks: NetworkEntryFields[];
  node: string;
}

export interface BulkSyncFields {
  ltime: number;
  unsolicited: boolean;
  node: string;
  networks: string[];
  /** A complete GossipMessage (a COMPOUND of TABLE_EVENTs). */
  payload: Uint8Array;
}

// ---------------------------------------------------------------- writing

const textEncoder = new TextEncoder();

/** UTF-8 bytes of `s`, with a fast path for ASCII. */
export function utf8Bytes(s: string): Uint8Array {
  const n = s.length;
  if (n <= 256) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return textEncoder.encode(s);
      out[i] = c;
    }
    return out;
  }
  return textEncoder.encode(s);
}

/**
 * UTF-8 bytes of strings that recur in every message (node names, network
 * IDs, table names), remembered so that each is encoded once. Bounded: the
 * cache starts over when full.
 */
class Utf8Cache {
  private readonly map = new Map<string, Uint8Array>();
  constructor(private readonly max: number) {}
  get(s: string): Uint8Array {
    let b = this.map.get(s);
    if (b === undefined) {
      if (this.map.size >= this.max) this.map.clear();
      b = utf8Bytes(s);
      this.map.set(s, b);
    }
    return b;
  }
}
const names = new Utf8Cache(4096);

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    out[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[p++] = v;
  return p;
}

/** An int32 as protobuf writes it: negative values take 10 bytes (sign-extended to 64 bits). */
function int32Size(v: number): number {
  return v < 0 ? 10 : varintSize(v);
}

function writeInt32(out: Uint8Array, p: number, v: number): number {
  if (v >= 0) return writeVarint(out, p, v);
  let lo = v >>> 0;
  for (let i = 0; i < 4; i++) {
    out[p++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  // Bits 28..31 of the low word, then 32 one bits of the sign extension.
  out[p++] = (lo & 0x0f) | 0x70 | 0x80;
  for (let i = 0; i < 4; i++) out[p++] = 0xff;
  out[p++] = 0x01;
  return p;
}

function bytesFieldSize(len: number): number {
  return len === 0 ? 0 : 1 + varintSize(len) + len;
}

function writeBytesField(out: Uint8Array, p: number, field: number, b: Uint8Array): number {
  if (b.length === 0) return p;
  out[p++] = (field << 3) | 2;
  p = writeVarint(out, p, b.length);
  out.set(b, p);
  return p + b.length;
}

function varintFieldSize(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(v);
}

function writeVarintField(out: Uint8Array, p: number, field: number, v: number): number {
  if (v === 0) return p;
  out[p++] = field << 3;
  return writeVarint(out, p, v);
}

/** The TableEvent message (not wrapped in a GossipMessage). */
export function encodeTableEvent(e: TableEventFields): Uint8Array {
  const node = names.get(e.node);
  const nid = names.get(e.nid);
  const table = names.get(e.table);
  const key = utf8Bytes(e.key);
  const size =
    varintFieldSize(e.type) +
    varintFieldSize(e.ltime) +
    bytesFieldSize(node.length) +
    bytesFieldSize(nid.length) +
    bytesFieldSize(table.length) +
    bytesFieldSize(key.length) +
    bytesFieldSize(e.value.length) +
    (e.residualReapTime === 0 ? 0 : 1 + int32Size(e.residualReapTime));
  const out = new Uint8Array(size);
  let p = writeVarintField(out, 0, 1, e.type);
  p = writeVarintField(out, p, 2, e.ltime);
  p = writeBytesField(out, p, 3, node);
  p = writeBytesField(out, p, 4, nid);
  p = writeBytesField(out, p, 5, table);
  p = writeBytesField(out, p, 6, key);
  p = writeBytesField(out, p, 7, e.value);
  if (e.residualReapTime !== 0) {
    out[p++] = 8 << 3;
    p = writeInt32(out, p, e.residualReapTime);
  }
  return out;
}

/** GossipMessage{type, data} bytes. */
export function encodeEnvelope(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintFieldSize(type) + bytesFieldSize(data.length));
  const p = writeVarintField(out, 0, 1, type);
  writeBytesField(out, p, 2, data);
  return out;
}

/** A complete GossipMessage{TABLE_EVENT}. */
export function encodeTableEventMessage(e: TableEventFields): Uint8Array {
  return encodeEnvelope(GossipType.TableEvent, encodeTableEvent(e));
}

/** Bytes one part adds to a COMPOUND's data: SimpleMessage{Payload} framed as a repeated field. */
export function compoundPartSize(partLength: number): number {
  const simple = bytesFieldSize(partLength);
  return 1 + varintSize(simple) + simple;
}

/** Size of a complete GossipMessage{COMPOUND} whose parts' data adds up to `dataSize` (see compoundPartSize). */
export function compoundMessageSize(dataSize: number): number {
  return varintFieldSize(GossipType.Compound) + bytesFieldSize(dataSize);
}

/**
 * A complete GossipMessage{COMPOUND} holding `parts` (each a complete
 * GossipMessage). No parts gives `08 05`, as Go's empty bulk sync.
 */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  let dataSize = 0;
  for (const part of parts) dataSize += compoundPartSize(part.length);
  const out = new Uint8Array(compoundMessageSize(dataSize));
  let p = writeVarintField(out, 0, 1, GossipType.Compound);
  if (dataSize === 0) return out;
  out[p++] = (2 << 3) | 2;
  p = writeVarint(out, p, dataSize);
  for (const part of parts) {
    // CompoundMessage.messages (field 1) = SimpleMessage{Payload (field 1)}.
    out[p++] = (1 << 3) | 2;
    p = writeVarint(out, p, bytesFieldSize(part.length));
    p = writeBytesField(out, p, 1, part);
  }
  return out;
}

// ---------------------------------------------------------------- reading

/** A minimal protobuf reader: varints, length-delimited fields, and skipping what it does not know. */
class ProtoReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint as a number; times above 2^53 are refused rather than rounded. */
  varint(): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new WireError("malformed", "networkdb protobuf: input ends inside a varint");
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw new WireError("malformed", "networkdb protobuf: integer too large");
        return result;
      }
      mul *= 128;
    }
    throw new WireError("malformed", "networkdb protobuf: varint longer than 10 bytes");
  }

  /** An int32 varint (negative values arrive sign-extended to 64 bits: keep the low 32). */
  int32(): number {
    const buf = this.buf;
    let lo = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new WireError("malformed", "networkdb protobuf: input ends inside a varint");
      const b = buf[this.pos++]!;
      if (shift < 32) lo |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) return lo | 0;
    }
    throw new WireError("malformed", "networkdb protobuf: varint longer than 10 bytes");
  }

  bytes(): Uint8Array {
    const len = this.varint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new WireError("malformed", "networkdb protobuf: input ends inside a field");
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  string(): string {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.buf.length) throw new WireError("malformed", "networkdb protobuf: input ends inside a field");
    this.pos = end;
    return len <= INTERN_MAX ? interned(this.buf, start, end) : decodeUtf8(this.buf.subarray(start, end));
  }

  /** Skip a field of `wireType` (groups are not used by NetworkDB and refused). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varintSkip();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      default:
        throw new WireError("malformed", `networkdb protobuf: unsupported wire type ${wireType}`);
    }
  }

  private varintSkip(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new WireError("malformed", "networkdb protobuf: input ends inside a varint");
      if (this.buf[this.pos++]! < 0x80) return;
    }
    throw new WireError("malformed", "networkdb protobuf: varint longer than 10 bytes");
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw new WireError("malformed", "networkdb protobuf: input ends inside a field");
    this.pos += n;
  }
}

/** Longest string interned (node names, network IDs, table names and most keys are shorter). */
const INTERN_MAX = 64;
const INTERN_SLOTS = 4096;
/** Recently decoded short strings by a hash of their bytes (one per slot, the newest wins). */
const internTable: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS);

/**
 * The string the bytes buf[start..end) spell, the same instance as last
 * time if they were seen recently. Every message repeats the same few node
 * names and network IDs; handing out one instance spares an allocation and
 * lets map lookups by these strings use their cached hash.
 */
function interned(buf: Uint8Array, start: number, end: number): string {
  let h = 0x811c9dc5;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c >= 0x80) ascii = false;
    h = Math.imul(h ^ c, 0x01000193);
  }
  if (!ascii) return decodeUtf8(buf.subarray(start, end));
  const slot = (h >>> 0) % INTERN_SLOTS;
  const known = internTable[slot];
  if (known !== undefined && known.length === end - start) {
    let same = true;
    for (let i = 0; i < known.length; i++) {
      if (known.charCodeAt(i) !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const s = String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);
  internTable[slot] = s;
  return s;
}


const EMPTY: Uint8Array = new Uint8Array(0);

/** GossipMessage{type, data}; `data` is a view into `buf`. */
export function decodeEnvelope(buf: Uint8Array): { type: number; data: Uint8Array } {
  const r = new ProtoReader(buf);
  let type = 0;
  let data = EMPTY;
  while (!r.done) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 1 && wire === 0) type = r.varint();
    else if (field === 2 && wire === 2) data = r.bytes();
    else r.skip(wire);
  }
  return { type, data };
}

/** The parts (complete GossipMessages, views into `data`) of a CompoundMessage's data. */
export function compoundParts(data: Uint8Array): Uint8Array[] {
  const r = new ProtoReader(data);
  const parts: Uint8Array[] = [];
  while (!r.done) {
    const tag = r.varint();
    const wire = tag & 7;
    if (tag >>> 3 !== 1 || wire !== 2) {
      r.skip(wire);
      continue;
    }
    const simple = new ProtoReader(r.bytes());
    let payload = EMPTY;
    while (!simple.done) {
      const t = simple.varint();
      if (t === ((1 << 3) | 2)) payload = simple.bytes();
      else simple.skip(t & 7);
    }
    parts.push(payload);
  }
  return parts;
}

/** A TableEvent message (the data of a GossipMessage{TABLE_EVENT}). `value` is a view into `data`. */
export function decodeTableEvent(data: Uint8Array): TableEventFields {
  const r = new ProtoReader(data);
  const e: TableEventFields = {
    type: 0,
    ltime: 0,
    node: "",
    nid: "",
    table: "",
    key: "",
    value: EMPTY,
    residualReapTime: 0,
  };
  while (!r.done) {
    const tag = r.varint();
    const wire = tag & 7;
    switch (tag) {
      case (1 << 3) | 0:
        e.type = r.int32();
        break;
      case (2 << 3) | 0:
        e.ltime = r.varint();
        break;
      case (3 << 3) | 2:
        e.node = r.string();
        break;
      case (4 << 3) | 2:
        e.nid = r.string();
        break;
      case (5 << 3) | 2:
        e.table = r.string();
        break;
      case (6 << 3) | 2:
        e.key = r.string();
        break;
      case (7 << 3) | 2:
        e.value = r.bytes();
        break;
      case (8 << 3) | 0:
        e.residualReapTime = r.int32();
        break;
      default:
        r.skip(wire);
    }
  }
  return e;
}

// ------------------------------------------------- the rare messages (generated code)

function parse<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof WireError) throw err;
    throw new WireError("malformed", `networkdb protobuf: ${(err as Error).message}`, { cause: err });
  }
}

/** A uint64 time as a number, refusing values that a number cannot hold exactly. */
function time(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError("malformed", "networkdb protobuf: time too large");
  return Number(v);
}

/** A NetworkEvent (hand-read: every node re-gossips every join, so these are many). */
export function decodeNetworkEvent(data: Uint8Array): NetworkEventFields {
  const r = new ProtoReader(data);
  const e: NetworkEventFields = { type: 0, ltime: 0, node: "", nid: "" };
  while (!r.done) {
    const tag = r.varint();
    switch (tag) {
      case (1 << 3) | 0:
        e.type = r.int32();
        break;
      case (2 << 3) | 0:
        e.ltime = r.varint();
        break;
      case (3 << 3) | 2:
        e.node = r.string();
        break;
      case (4 << 3) | 2:
        e.nid = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return e;
}

export function encodeNetworkEventMessage(e: NetworkEventFields): Uint8Array {
  const m = create(pb.NetworkEventSchema, { type: e.type, lTime: BigInt(e.ltime), nodeName: e.node, networkId: e.nid });
  return encodeEnvelope(GossipType.NetworkEvent, toBinary(pb.NetworkEventSchema, m));
}

/**
 * A NodeEvent: its fields 1-3 are a NetworkEvent's (type, l_time, node_name),
 * so the same reader serves; a NodeEvent has no field 4.
 */
export function decodeNodeEvent(data: Uint8Array): NodeEventFields {
  const { type, ltime, node } = decodeNetworkEvent(data);
  return { type, ltime, node };
}

export function encodeNodeEventMessage(e: NodeEventFields): Uint8Array {
  const m = create(pb.NodeEventSchema, { type: e.type, lTime: BigInt(e.ltime), nodeName: e.node });
  return encodeEnvelope(GossipType.NodeEvent, toBinary(pb.NodeEventSchema, m));
}

export function decodePushPull(data: Uint8Array): PushPullFields {
  const m = parse(() => fromBinary(pb.NetworkPushPullSchema, data));
  return {
    ltime: time(m.lTime),
    node: m.nodeName,
    networks: m.networks.map((n) => ({ nid: n.networkId, ltime: time(n.lTime), node: n.nodeName, leaving: n.leaving })),
  };
}

export function encodePushPullMessage(p: PushPullFields): Uint8Array {
  const m = create(pb.NetworkPushPullSchema, {
    lTime: BigInt(p.ltime),
    nodeName: p.node,
    networks: p.networks.map((n) =>
      create(pb.NetworkEntrySchema, { networkId: n.nid, lTime: BigInt(n.ltime), nodeName: n.node, leaving: n.leaving }),
    ),
  });
  return encodeEnvelope(GossipType.PushPull, toBinary(pb.NetworkPushPullSchema, m));
}

export function decodeBulkSync(data: Uint8Array): BulkSyncFields {
  const m = parse(() => fromBinary(pb.BulkSyncMessageSchema, data));
  return { ltime: time(m.lTime), unsolicited: m.unsolicited, node: m.nodeName, networks: m.networks, payload: m.payload };
}

export function encodeBulkSyncMessage(b: BulkSyncFields): Uint8Array {
  const m = create(pb.BulkSyncMessageSchema, {
    lTime: BigInt(b.ltime),
    unsolicited: b.unsolicited,
    nodeName: b.node,
    networks: b.networks,
    payload: b.payload,
  });
  return encodeEnvelope(GossipType.BulkSync, toBinary(pb.BulkSyncMessageSchema, m));
}
