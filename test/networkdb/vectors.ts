/**
 * Test helper: the captured Go NetworkDB traffic in /work/shared/vectors, and a
 * converter from our decoded trees to the annotated files' `decoded` JSON.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  decodeGossip,
  lzwDecode,
  lzwEncode,
  pb,
  type DecodedGossip,
  type DecodedStream,
  type LzwStats,
  type PacketMessage,
  type PushNodeState,
} from "../../src/networkdb/wire/index.js";

/** Repository root: this file runs as <root>/dist/test/networkdb/vectors.js. */
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const vectorsDir = resolve(repoRoot, "../shared/vectors");

export interface CaptureLine {
  t: number;
  proto: "udp" | "tcp";
  src: string;
  dst: string;
  stream: number | null;
  dir: "c2s" | "s2c" | null;
  hex: string;
  label: string;
  /** Every layer as JSON, as written by the annotating decoder. */
  decoded: Record<string, unknown>;
  /** The captured bytes. */
  bytes: Uint8Array;
}

export const CAPTURES = ["networkdb-go.annotated.ndjson", "networkdb-go-lzw.annotated.ndjson"] as const;

export function loadCapture(name: string): CaptureLine[] {
  const path = resolve(vectorsDir, name);
  if (!existsSync(path)) throw new Error(`vectors not found at ${path}`);
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const o = JSON.parse(l) as Omit<CaptureLine, "bytes">;
      return { ...o, bytes: fromHex(o.hex) };
    });
}

export function loadAllCaptures(): CaptureLine[] {
  return CAPTURES.flatMap(loadCapture);
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

// ---- conversion to the annotated JSON shape ----

type Json = unknown;

function ipJson(b: Uint8Array | null): Json {
  if (b === null) return null;
  const ip = b.length === 4 ? Array.from(b).join(".") : toHex(b);
  return { ip, hex: toHex(b) };
}

function bytesJson(b: Uint8Array | null): Json {
  return b === null ? null : { hex: toHex(b), len: b.length };
}

function vsnJson(b: Uint8Array | null): Json {
  return b === null ? null : Array.from(b);
}

function bodyJson(m: PacketMessage): Json {
  switch (m.type) {
    case "ping":
      return { Node: m.body.Node, SeqNo: m.body.SeqNo };
    case "ack":
      return { Payload: bytesJson(m.body.Payload), SeqNo: m.body.SeqNo };
    case "nack":
      return { SeqNo: m.body.SeqNo };
    case "indirectPing":
      return { Nack: m.body.Nack, Node: m.body.Node, Port: m.body.Port, SeqNo: m.body.SeqNo, Target: ipJson(m.body.Target) };
    case "suspect":
    case "dead":
      return { From: m.body.From, Incarnation: m.body.Incarnation, Node: m.body.Node };
    case "alive":
      return {
        Addr: ipJson(m.body.Addr),
        Incarnation: m.body.Incarnation,
        Meta: bytesJson(m.body.Meta),
        Node: m.body.Node,
        Port: m.body.Port,
        Vsn: vsnJson(m.body.Vsn),
      };
    case "err":
      return { Error: m.body.Error };
    default:
      throw new Error(`no body for ${m.type}`);
  }
}

/** LZW facts of a compressed buffer, in the annotated files' field names. */
function compressJson(buf: Uint8Array, inner: Json): Record<string, Json> {
  const stats = {} as LzwStats;
  const plain = lzwDecode(buf, { stats });
  return {
    msg: "compress",
    Algo: 0,
    Buf_len: buf.length,
    plain_len: plain.length,
    plain_hex: toHex(plain),
    lzw_reencode_identical: toHex(lzwEncode(plain)) === toHex(buf),
    lzw: {
      first_code: stats.firstCode,
      eof: stats.eof,
      trailing_bytes: stats.trailingBytes,
      final_pad_zero: stats.finalPadZero,
      codes: stats.codes,
      max_width: stats.maxWidth,
      midstream_clears: stats.midstreamClears,
    },
    inner,
  };
}

/** Our decoded UDP tree in the annotated shape. `lengths` are those of the encoded parts. */
export function packetJson(m: PacketMessage, encodePart: (p: PacketMessage) => Uint8Array): Json {
  switch (m.type) {
    case "hasCrc":
      return { msg: "hasCrc", crc32: (m.crc ?? 0).toString(16).padStart(8, "0"), crc_ok: true, inner: packetJson(m.inner, encodePart) };
    case "compress":
      return compressJson(m.buf!, packetJson(m.inner, encodePart));
    case "compound":
      return {
        msg: "compound",
        count: m.parts.length,
        lengths: m.parts.map((p) => encodePart(p).length),
        parts: m.parts.map((p) => packetJson(p, encodePart)),
      };
    case "user":
      return { msg: "user", gossip: gossipJsonFromBytes(m.payload) };
    default:
      return { msg: m.type, body: bodyJson(m) };
  }
}

const STATE_NAMES = ["alive", "suspect", "dead"];

function nodeJson(n: PushNodeState): Json {
  return {
    Addr: ipJson(n.Addr),
    Incarnation: n.Incarnation,
    Meta: bytesJson(n.Meta),
    Name: n.Name,
    Port: n.Port,
    State: n.State,
    Vsn: vsnJson(n.Vsn),
    State_name: STATE_NAMES[n.State] ?? String(n.State),
  };
}

/** Our decoded TCP frame in the annotated shape. */
export function streamJson(d: DecodedStream): Json {
  const m = d.message;
  let inner: Json;
  switch (m.type) {
    case "pushPull":
      inner = {
        msg: "pushPull",
        header: { Join: m.join, Nodes: m.nodes.length, UserStateLen: m.userState.length },
        nodes: m.nodes.map(nodeJson),
        user_state_hex: toHex(m.userState),
        user_state: gossipJsonFromBytes(m.userState),
      };
      break;
    case "user":
      inner = { msg: "user", header: { UserMsgLen: m.payload.length }, gossip: gossipJsonFromBytes(m.payload) };
      break;
    default:
      inner = { msg: m.type, body: m.body };
  }
  return d.compressed ? compressJson(d.lzw!, inner) : inner;
}

function gossipJsonFromBytes(b: Uint8Array): Json {
  return gossipJson(decodeGossip(b));
}

const num = (v: bigint): number => Number(v);

/** proto3 JSON as the annotator writes it: zero values omitted, enums by name, l_time as numbers. */
export function gossipJson(g: DecodedGossip): Json {
  switch (g.kind) {
    case "nodeEvent":
      return { type: "NODE_EVENT", data: omitZero({ type: pb.NodeEvent_Type[g.event.type], l_time: num(g.event.lTime), node_name: g.event.nodeName }) };
    case "networkEvent":
      return {
        type: "NETWORK_EVENT",
        data: omitZero({
          type: pb.NetworkEvent_Type[g.event.type],
          l_time: num(g.event.lTime),
          node_name: g.event.nodeName,
          network_id: g.event.networkId,
        }),
      };
    case "tableEvent": {
      const e = g.event;
      return {
        type: "TABLE_EVENT",
        data: omitZero({
          type: pb.TableEvent_Type[e.type],
          l_time: num(e.lTime),
          node_name: e.nodeName,
          network_id: e.networkId,
          table_name: e.tableName,
          key: e.key,
          value: e.value.length > 0 ? { utf8: Buffer.from(e.value).toString("utf8"), hex: toHex(e.value) } : undefined,
          residual_reap_time: e.residualReapTime,
        }),
      };
    }
    case "pushPull":
      return {
        type: "PUSH_PULL",
        data: omitZero({
          l_time: num(g.pushPull.lTime),
          networks: g.pushPull.networks.map((n) =>
            omitZero({ network_id: n.networkId, l_time: num(n.lTime), node_name: n.nodeName, leaving: n.leaving }),
          ),
          node_name: g.pushPull.nodeName,
        }),
      };
    case "bulkSync":
      return {
        type: "BULK_SYNC",
        data: omitZero({
          l_time: num(g.bulkSync.lTime),
          unsolicited: g.bulkSync.unsolicited,
          node_name: g.bulkSync.nodeName,
          networks: g.bulkSync.networks,
          payload: gossipJson(g.payload),
        }),
      };
    case "compound":
      return { type: "COMPOUND", data: { messages: g.messages.map(gossipJson) } };
    case "unknown":
      return { type: g.type, data_hex: toHex(g.data) };
  }
}

function omitZero(o: Record<string, Json>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === 0 || v === false || v === "" || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}
