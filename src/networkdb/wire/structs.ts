/**
 * memberlist's msgpack structs, typed, with Go's field names.
 *
 * go-msgpack encodes a Go struct as a map keyed by the Go field names in
 * ALPHABETICAL order (not declaration order), always writing every field (no
 * omitempty). Decoding matches keys by exact name, ignores unknown keys and
 * leaves missing fields at Go's zero value. `[]byte` fields keep the
 * difference between nil (0xc0) and empty (0xa0), because Go peers make it
 * (an alive record's Meta is empty for the sender itself and nil for others)
 * and byte-exact re-encoding needs it.
 *
 * Field types follow memberlist net.go at 3d8438da: SeqNo/Incarnation uint32,
 * Port uint16, Vsn []uint8 (encoded as raw bytes, not an array), Algo uint8,
 * Nodes/UserStateLen/UserMsgLen/State Go int.
 */
import { WireError } from "./errors.js";
import { MsgpackReader, MsgpackWriter } from "./msgpack.js";

/** Direct probe (type 0). */
export interface Ping {
  SeqNo: number;
  /** Name of the node the sender means to ping, so a restarted node under another name does not answer. */
  Node: string;
}

/** Probe through a third node (type 1). */
export interface IndirectPing {
  SeqNo: number;
  /** Target IP address bytes (4 or 16). */
  Target: Uint8Array | null;
  Port: number;
  Node: string;
  /** The requester wants a nack if the target does not answer. */
  Nack: boolean;
}

/** Answer to a ping (type 2). */
export interface Ack {
  SeqNo: number;
  Payload: Uint8Array | null;
}

/** Negative answer to an indirect ping (type 11). */
export interface Nack {
  SeqNo: number;
}

/** Suspicion (type 3) or death (type 5) of a node, as seen by `From`. */
export interface Suspect {
  Incarnation: number;
  Node: string;
  From: string;
}
export type Dead = Suspect;

/** A node is alive (type 4); also how a node announces itself when joining. */
export interface Alive {
  Incarnation: number;
  Node: string;
  Addr: Uint8Array | null;
  Port: number;
  Meta: Uint8Array | null;
  /** pmin, pmax, pcur, dmin, dmax, dcur. */
  Vsn: Uint8Array | null;
}

/** First map of a push/pull stream. */
export interface PushPullHeader {
  Nodes: number;
  UserStateLen: number;
  Join: boolean;
}

/** One node record of a push/pull stream. */
export interface PushNodeState {
  Name: string;
  Addr: Uint8Array | null;
  Port: number;
  Meta: Uint8Array | null;
  Incarnation: number;
  /** NodeState: 0 alive, 1 suspect, 2 dead. */
  State: number;
  Vsn: Uint8Array | null;
}

/** Header of a user message sent over a stream. */
export interface UserMsgHeader {
  UserMsgLen: number;
}

/** Body of a compress message (type 9). */
export interface Compress {
  Algo: number;
  Buf: Uint8Array | null;
}

/** Error response sent over a stream (type 13). */
export interface ErrResp {
  Error: string;
}

type FieldKind = "string" | "bytes" | "bool" | { int: [min: number, max: number] };

/** How one Go struct maps to msgpack: its fields and their kinds. */
export interface StructCodec<T> {
  /** Go struct name, for error messages. */
  readonly name: string;
  /** Field names in wire (alphabetical) order. */
  readonly wireOrder: readonly (keyof T & string)[];
  encode(w: MsgpackWriter, value: T): void;
  decode(r: MsgpackReader): T;
}

const U8: FieldKind = { int: [0, 0xff] };
const U16: FieldKind = { int: [0, 0xffff] };
const U32: FieldKind = { int: [0, 0xffffffff] };
/** Go int used as a count or length: negative values make no sense on the wire. */
const COUNT: FieldKind = { int: [0, Number.MAX_SAFE_INTEGER] };
const GO_INT: FieldKind = { int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };

function structCodec<T>(name: string, fields: { [K in keyof T & string]: FieldKind }): StructCodec<T> {
  const entries = (Object.entries(fields) as [keyof T & string, FieldKind][]).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  // Per field, built once (decoding runs for every message): its kind, the
  // name used in error messages, and the key's bytes, matched against the
  // wire's key bytes without decoding them to a string.
  const zero = (kind: FieldKind): unknown =>
    kind === "string" ? "" : kind === "bytes" ? null : kind === "bool" ? false : 0;
  const byKey = entries.map(([key, kind]) => ({
    key,
    kind,
    what: `${name}.${key}`,
    keyBytes: Uint8Array.from(key, (c) => c.charCodeAt(0)),
  }));
  const zeroValue: Record<string, unknown> = {};
  for (const [key, kind] of entries) zeroValue[key] = zero(kind);

  return {
    name,
    wireOrder: entries.map(([k]) => k),
    encode(w, value) {
      w.mapHeader(entries.length);
      for (const [key, kind] of entries) {
        w.str(key);
        const v = value[key] as unknown;
        if (kind === "string") {
          if (typeof v !== "string") throw invalid(name, key, v);
          w.str(v);
        } else if (kind === "bytes") {
          if (v !== null && !(v instanceof Uint8Array)) throw invalid(name, key, v);
          w.raw(v);
        } else if (kind === "bool") {
          if (typeof v !== "boolean") throw invalid(name, key, v);
          w.bool(v);
        } else {
          if (typeof v !== "number" || !Number.isInteger(v) || v < kind.int[0] || v > kind.int[1]) {
            throw invalid(name, key, v);
          }
          w.int(v);
        }
      }
    },
    decode(r) {
      const out: Record<string, unknown> = { ...zeroValue };
      const n = r.mapHeader();
      for (let i = 0; i < n; i++) {
        const field = findField(byKey, r.rawOrNil("map key"));
        if (field === undefined) {
          r.skip();
          continue;
        }
        const { key, kind, what } = field;
        if (kind === "string") out[key] = r.str(what);
        else if (kind === "bytes") {
          const raw = r.rawOrNil(what);
          // Copy: the reader hands out views into the datagram, which the caller may reuse.
          out[key] = raw === null ? null : raw.slice();
        } else if (kind === "bool") out[key] = r.bool(what);
        else {
          const v = r.int(what);
          if (v < kind.int[0] || v > kind.int[1]) {
            throw new WireError("malformed", `msgpack: ${what} = ${v} is out of range`);
          }
          out[key] = v;
        }
      }
      return out as T;
    },
  };
}

/** The field whose name is exactly `raw` (a map key as received), if any. */
function findField<F extends { keyBytes: Uint8Array }>(fields: readonly F[], raw: Uint8Array | null): F | undefined {
  if (raw === null) return undefined;
  outer: for (const f of fields) {
    const k = f.keyBytes;
    if (k.length !== raw.length) continue;
    for (let i = 0; i < k.length; i++) if (k[i] !== raw[i]) continue outer;
    return f;
  }
  return undefined;
}

function invalid(struct: string, field: string, v: unknown): WireError {
  return new WireError("invalid-value", `${struct}.${field}: cannot encode ${String(v)}`);
}

export const pingCodec = structCodec<Ping>("ping", { SeqNo: U32, Node: "string" });
export const indirectPingCodec = structCodec<IndirectPing>("indirectPingReq", {
  SeqNo: U32,
  Target: "bytes",
  Port: U16,
  Node: "string",
  Nack: "bool",
});
export const ackCodec = structCodec<Ack>("ackResp", { SeqNo: U32, Payload: "bytes" });
export const nackCodec = structCodec<Nack>("nackResp", { SeqNo: U32 });
export const suspectCodec = structCodec<Suspect>("suspect", { Incarnation: U32, Node: "string", From: "string" });
export const deadCodec = structCodec<Dead>("dead", { Incarnation: U32, Node: "string", From: "string" });
export const aliveCodec = structCodec<Alive>("alive", {
  Incarnation: U32,
  Node: "string",
  Addr: "bytes",
  Port: U16,
  Meta: "bytes",
  Vsn: "bytes",
});
export const pushPullHeaderCodec = structCodec<PushPullHeader>("pushPullHeader", {
  Nodes: COUNT,
  UserStateLen: COUNT,
  Join: "bool",
});
export const pushNodeStateCodec = structCodec<PushNodeState>("pushNodeState", {
  Name: "string",
  Addr: "bytes",
  Port: U16,
  Meta: "bytes",
  Incarnation: U32,
  State: GO_INT,
  Vsn: "bytes",
});
export const userMsgHeaderCodec = structCodec<UserMsgHeader>("userMsgHeader", { UserMsgLen: COUNT });
export const compressCodec = structCodec<Compress>("compress", { Algo: U8, Buf: "bytes" });
export const errRespCodec = structCodec<ErrResp>("errResp", { Error: "string" });

/** Encode one struct as a standalone msgpack map. */
export function encodeStruct<T>(codec: StructCodec<T>, value: T): Uint8Array {
  const w = new MsgpackWriter();
  codec.encode(w, value);
  return w.out.finish();
}

/**
 * Decode one struct that must occupy `buf` from `offset` on; returns the value
 * and the offset just after it (bytes after the map are the caller's business:
 * Go's decoder ignores them in a packet body and reads them as raw data in a stream).
 */
export function decodeStruct<T>(codec: StructCodec<T>, buf: Uint8Array, offset = 0): { value: T; end: number } {
  const r = new MsgpackReader(buf, offset);
  const value = codec.decode(r);
  return { value, end: r.pos };
}
