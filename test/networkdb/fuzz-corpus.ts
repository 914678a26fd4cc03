/**
 * Test helper: fuzz inputs for NetworkDB's receive path, and a verdict on
 * each one.
 *
 *  - prng / mutate: a seeded PRNG and byte mutators (bit flips, truncations,
 *    overwrites, insertions, deletions, splices), so a failure replays.
 *  - FuzzSources / generateInput: datagrams and TCP streams built from the
 *    captured Go traffic and from messages naming a live cluster's own
 *    nodes, networks and tables, mutated at every layer (raw bytes, below a
 *    freshly computed CRC, inside a compress or compound layer, inside the
 *    NetworkDB protobuf), plus purely random buffers.
 *  - actsOnDatagram / actsOnStream: whether a node would act on an input at
 *    all, decided layer by layer with the very decoding functions its
 *    receive path calls (see the comment above them).
 */
import {
  GossipType,
  MembershipEventType,
  TableEventType,
  compoundParts,
  decodeBulkSync,
  decodeEnvelope,
  decodeNetworkEvent,
  decodeNodeEvent,
  decodeTableEvent,
  encodeBulkSyncMessage,
  encodeCompound as encodeGossipCompound,
  encodeNetworkEventMessage,
  encodeNodeEventMessage,
  encodeTableEventMessage,
} from "../../src/networkdb/codec.js";
import {
  HasCrcHeaderSize,
  Keyring,
  MessageType,
  NONCE_SIZE,
  WireError,
  ackCodec,
  aliveCodec,
  compressMessage,
  crc32,
  deadCodec,
  decodeGossip,
  decodePacket,
  decodeStream,
  decodeStruct,
  decompressBody,
  decryptPacket,
  decryptStream,
  encodeCompound,
  encodeMessage,
  encodeStream,
  encodeStreamMessage,
  encryptPacket,
  encryptStream,
  indirectPingCodec,
  leafMessages,
  nackCodec,
  pingCodec,
  splitCompound,
  suspectCodec,
  withCrc,
  type DecodedGossip,
  type StructCodec,
} from "../../src/networkdb/wire/index.js";
import { loadAllCaptures } from "./vectors.js";

// ------------------------------------------------------------ PRNG and mutators

/** A function returning an integer in [0, n). */
export type Rnd = (n: number) => number;

/** Deterministic PRNG (xorshift32), so a failure can be replayed from its seed. */
export function prng(seed: number): Rnd {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
}

/** One random mutation of `src`: bit flips, truncation, overwrite, insertion, deletion, or a splice with one of `others`. */
export function mutate(src: Uint8Array, rnd: Rnd, others: readonly Uint8Array[]): Uint8Array {
  switch (rnd(6)) {
    case 0: {
      // 1..8 bit flips
      const out = src.slice();
      const flips = 1 + rnd(8);
      for (let i = 0; i < flips && out.length > 0; i++) out[rnd(out.length)]! ^= 1 << rnd(8);
      return out;
    }
    case 1:
      return src.slice(0, rnd(src.length + 1)); // truncation
    case 2: {
      // random byte overwrite at a random place
      const out = src.slice();
      if (out.length > 0) out[rnd(out.length)] = rnd(256);
      return out;
    }
    case 3: {
      // insert random bytes
      const at = rnd(src.length + 1);
      const extra = Uint8Array.from({ length: 1 + rnd(8) }, () => rnd(256));
      const out = new Uint8Array(src.length + extra.length);
      out.set(src.subarray(0, at));
      out.set(extra, at);
      out.set(src.subarray(at), at + extra.length);
      return out;
    }
    case 4: {
      // delete a range
      const at = rnd(src.length + 1);
      const len = rnd(16);
      const out = new Uint8Array(src.length - Math.min(len, src.length - at));
      out.set(src.subarray(0, at));
      out.set(src.subarray(at + len), at);
      return out;
    }
    default: {
      // splice: head of this one, tail of another
      const other = others[rnd(others.length)]!;
      const a = rnd(src.length + 1);
      const b = rnd(other.length + 1);
      const out = new Uint8Array(a + other.length - b);
      out.set(src.subarray(0, a));
      out.set(other.subarray(b), a);
      return out;
    }
  }
}

/** A buffer of up to `maxLen` random bytes, half the time led by a plausible memberlist type byte. */
export function randomBuffer(rnd: Rnd, maxLen: number): Uint8Array {
  const out = Uint8Array.from({ length: rnd(maxLen + 1) }, () => rnd(256));
  if (out.length > 0 && rnd(2) === 0) out[0] = rnd(14);
  return out;
}

// ------------------------------------------------------------ material

/** The names a live target uses, so that mutated messages aim at its real state. */
export interface TargetNames {
  /** Its nodes (the target and its peer). */
  nodes: string[];
  network: string;
  table: string;
  /** Keys it holds entries under. */
  keys: string[];
}

/** What inputs are built from. Every list is non-empty. */
export interface FuzzSources {
  /** Captured datagrams, as captured. */
  udp: Uint8Array[];
  /** Complete memberlist messages: captured datagrams without their CRC header, compress layers undone, compound parts. */
  messages: Uint8Array[];
  /** NetworkDB GossipMessages: captured ones and ones naming the target's nodes, network, table and keys. */
  gossip: Uint8Array[];
  /** Captured TCP frames, as captured. */
  tcp: Uint8Array[];
  /** Plain stream messages (captured frames decoded and re-encoded without compression). */
  streamMessages: Uint8Array[];
  /** Everything above, for splices. */
  all: Uint8Array[];
}

/** Build the sources from the captures in /work/shared/vectors and `names`. */
export function fuzzSources(names: TargetNames): FuzzSources {
  const captures = loadAllCaptures();
  const udp = captures.filter((l) => l.proto === "udp").map((l) => l.bytes);
  // The one 20 KB capture is left out: mutating it costs much and adds nothing a small one lacks.
  const tcp = captures.filter((l) => l.proto === "tcp" && l.bytes.length < 2000).map((l) => l.bytes);

  const messages: Uint8Array[] = [];
  const gossip: Uint8Array[] = [];
  for (const d of udp) {
    const inner = d[0] === MessageType.HasCrc ? d.subarray(HasCrcHeaderSize) : d;
    messages.push(inner.slice());
    for (const leaf of leafMessages(decodePacket(d).message)) {
      messages.push(encodeMessage(leaf));
      if (leaf.type === "user") gossip.push(leaf.payload);
    }
  }
  const streamMessages: Uint8Array[] = [];
  for (const frame of tcp) {
    const { message } = decodeStream(frame);
    streamMessages.push(encodeStreamMessage(message));
    if (message.type === "user") gossip.push(message.payload);
    if (message.type === "pushPull" && message.userState.length > 0) gossip.push(message.userState);
  }
  gossip.push(...targetedGossip(names));
  return { udp, messages, gossip, tcp, streamMessages, all: [...udp, ...messages, ...gossip, ...tcp, ...streamMessages] };
}

/**
 * Valid NetworkDB messages about the target's own state (entries of its
 * table in its network owned by its nodes, network and node events for
 * them), with Lamport times high enough to win: a mutation that leaves one
 * of these valid would change the target's state.
 */
function targetedGossip(names: TargetNames): Uint8Array[] {
  const out: Uint8Array[] = [];
  const events: Uint8Array[] = [];
  for (const node of names.nodes) {
    for (const key of names.keys) {
      for (const type of [TableEventType.Create, TableEventType.Update, TableEventType.Delete]) {
        const e = encodeTableEventMessage({
          type,
          ltime: 1_000_000,
          node,
          nid: names.network,
          table: names.table,
          key,
          value: new TextEncoder().encode(`forged-${key}`),
          residualReapTime: type === TableEventType.Delete ? 1800 : 0,
        });
        events.push(e);
      }
    }
    out.push(encodeNetworkEventMessage({ type: MembershipEventType.Leave, ltime: 1_000_000, node, nid: names.network }));
    out.push(encodeNetworkEventMessage({ type: MembershipEventType.Join, ltime: 1_000_000, node, nid: "fz-other" }));
    out.push(encodeNodeEventMessage({ type: MembershipEventType.Leave, ltime: 1_000_000, node }));
  }
  out.push(...events);
  const compound = encodeGossipCompound(events.slice(0, 4));
  out.push(compound);
  out.push(
    encodeBulkSyncMessage({ ltime: 1_000_000, unsolicited: true, node: names.nodes[1]!, networks: [names.network], payload: compound }),
  );
  return out;
}

// ------------------------------------------------------------ generation

/** One input: its bytes, whether it goes as a datagram or a TCP stream, and how it was made. */
export interface FuzzInput {
  proto: "udp" | "tcp";
  bytes: Uint8Array;
  /** How it was made (for the summary and for replaying a failure). */
  kind: string;
}

export interface GenerateOptions {
  /** Share of TCP streams among the inputs, in percent (default 3). */
  tcpPercent?: number;
  /**
   * The target's keyring: when set, about half the inputs are first
   * encrypted with it (and then mutated), a tenth with another key.
   */
  keyring?: Keyring;
}

const pick = <T>(list: readonly T[], rnd: Rnd): T => list[rnd(list.length)]!;

/** The next input from `rnd`. */
export function generateInput(src: FuzzSources, rnd: Rnd, options: GenerateOptions = {}): FuzzInput {
  const proto = rnd(100) < (options.tcpPercent ?? 3) ? "tcp" : "udp";
  const plain = proto === "udp" ? plainDatagram(src, rnd) : plainStream(src, rnd);
  const keyring = options.keyring;
  if (keyring === undefined) return { proto, ...plain };
  const roll = rnd(10);
  if (roll < 5) return { proto, ...plain }; // unencrypted: to be refused as such
  if (roll < 6) {
    // Well formed but under a key the target does not have.
    const other = new Keyring([Uint8Array.from({ length: 32 }, () => rnd(256))]);
    return { proto, bytes: seal(proto, other, plain.bytes, rnd), kind: `wrong-key(${plain.kind})` };
  }
  // Sealed with the right key, then mutated: authentication must fail.
  const sealed = seal(proto, keyring, plain.bytes, rnd);
  return { proto, bytes: mutate(sealed, rnd, [sealed]), kind: `sealed-mutated(${plain.kind})` };
}

/** Encrypt as memberlist does, with a nonce from `rnd` (memberlist's is random) so the input replays. */
function seal(proto: "udp" | "tcp", keyring: Keyring, plain: Uint8Array, rnd: Rnd): Uint8Array {
  const vsn = rnd(2) as 0 | 1;
  const nonce = Uint8Array.from({ length: NONCE_SIZE }, () => rnd(256));
  return proto === "udp" ? encryptPacket(keyring, plain, vsn, { nonce }) : encryptStream(keyring, plain, vsn, { nonce });
}

function plainDatagram(src: FuzzSources, rnd: Rnd): { bytes: Uint8Array; kind: string } {
  const roll = rnd(100);
  if (roll < 8) return { bytes: randomBuffer(rnd, 300), kind: "random" };
  if (roll < 33) return { bytes: mutate(pick(src.udp, rnd), rnd, src.all), kind: "datagram" };
  if (roll < 48) {
    // Below the CRC: most mutations of a captured datagram only break its checksum.
    const m = mutate(pick(src.messages, rnd), rnd, src.all);
    return { bytes: rnd(2) === 0 ? withCrc(m) : m, kind: "message" };
  }
  if (roll < 78) {
    // A mutated NetworkDB message in a user message, bare or in a CRC, compound or compress layer.
    const user = concat(Uint8Array.of(MessageType.User), mutate(pick(src.gossip, rnd), rnd, src.gossip));
    return { bytes: wrap(user, src, rnd), kind: "gossip" };
  }
  if (roll < 88) {
    // A mutated message under a (valid) compress layer.
    const m = compressMessage(mutate(pick(src.messages, rnd), rnd, src.all));
    return { bytes: rnd(2) === 0 ? withCrc(m) : m, kind: "compressed" };
  }
  // A compound of 1..4 mutated messages.
  const parts = Array.from({ length: 1 + rnd(4) }, () => mutate(pick(src.messages, rnd), rnd, src.all));
  const c = encodeCompound(parts);
  return { bytes: rnd(2) === 0 ? withCrc(c) : c, kind: "compound" };
}

function wrap(message: Uint8Array, src: FuzzSources, rnd: Rnd): Uint8Array {
  switch (rnd(4)) {
    case 0:
      return message;
    case 1:
      return withCrc(message);
    case 2:
      // With a second, mutated, message beside it.
      return encodeCompound(rnd(2) === 0 ? [message, mutate(pick(src.messages, rnd), rnd, src.all)] : [message]);
    default:
      return compressMessage(message);
  }
}

function plainStream(src: FuzzSources, rnd: Rnd): { bytes: Uint8Array; kind: string } {
  const roll = rnd(10);
  if (roll < 1) return { bytes: randomBuffer(rnd, 300), kind: "tcp-random" };
  if (roll < 4) return { bytes: mutate(pick(src.tcp, rnd), rnd, src.all), kind: "tcp-frame" };
  if (roll < 7) {
    // A mutated plain message, sent compressed (as Docker always does) or not.
    const m = mutate(pick(src.streamMessages, rnd), rnd, src.all);
    return { bytes: rnd(2) === 0 ? compressMessage(m) : m, kind: "tcp-message" };
  }
  // A user message (a bulk sync's carrier) holding a mutated NetworkDB message.
  const payload = mutate(pick(src.gossip, rnd), rnd, src.gossip);
  return { bytes: encodeStream({ type: "user", payload }, { compress: rnd(2) === 0 }), kind: "tcp-gossip" };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// ------------------------------------------------------------ verdicts

/*
 * Whether a node acts on an input is decided the way its receive path
 * decides it (memberlist/packet-receive.ts, stream-handler.ts,
 * stream-io.ts, delegate.ts), layer by layer, with the same decoding
 * functions: decrypt, CRC, then compound parts ONE BY ONE (a bad part does
 * not spoil the others), compress, the msgpack structs, and for user
 * messages NetworkDB's own hand-read protobuf (codec.ts), again one
 * compound part at a time. "Acts on" means some message in it decoded and
 * reached the code that may change state (an alive, a suspect, a table
 * event, a push/pull ...); whether it then changes anything is not
 * predicted: every input it acts on counts as valid.
 *
 * It deliberately differs from the whole-tree decoders (decodePacket,
 * decodeStream + decodeGossip), which the test tallies beside it:
 *  - those refuse a whole compound for one bad part, where the node still
 *    applies the good ones (most of the difference);
 *  - decodePacket accepts an err message in a datagram, which memberlist
 *    only knows on streams (the node drops it as an unknown type);
 *  - decodeGossip's generated protobuf-es reader reads a known scalar
 *    field by its declared type whatever wire type it comes with (Go
 *    refuses it; the node's hand-read reader skips it as unknown), skips
 *    group fields (wire types 3/4, as Go does; the node's reader refuses
 *    them) and accepts times above 2^53 (the node's reader refuses them).
 * Inputs the whole-tree decoders accept but the node would not act on go to
 * the target, whose unchanged state then shows the node indeed ignored them.
 * Nesting limits are not copied: a message nested deeper than the node
 * allows counts as valid, so a mistake here can only send an inert input
 * to the throwaway node, never a live one to the target.
 */

/** Recursion guard only; far above the node's own nesting limits (4). */
const MAX_NESTING = 16;
/** The node's cap on one decompressed message in a datagram (packet-receive.ts). */
const MAX_DECOMPRESSED = 1 << 20;

type AnyCodec = StructCodec<unknown>;
const erase = <T>(codec: StructCodec<T>): AnyCodec => codec as AnyCodec;
/** Datagram message types memberlist's handleCommand decodes as one msgpack struct. */
const PACKET_STRUCTS = new Map<number, AnyCodec>([
  [MessageType.Ping, erase(pingCodec)],
  [MessageType.IndirectPing, erase(indirectPingCodec)],
  [MessageType.Ack, erase(ackCodec)],
  [MessageType.Nack, erase(nackCodec)],
  [MessageType.Suspect, erase(suspectCodec)],
  [MessageType.Alive, erase(aliveCodec)],
  [MessageType.Dead, erase(deadCodec)],
]);

/** Run a decoding step; a WireError means "refused", anything else is a bug and is thrown. */
function refusedOnWireError(step: () => boolean): boolean {
  try {
    return step();
  } catch (err) {
    if (err instanceof WireError) return false;
    throw err;
  }
}

/** Would a node with `keyring` (verifying incoming traffic) act on this datagram? */
export function actsOnDatagram(datagram: Uint8Array, keyring?: Keyring): boolean {
  return refusedOnWireError(() => {
    let buf = keyring === undefined ? datagram : decryptPacket(keyring, datagram);
    if (buf.length >= HasCrcHeaderSize && buf[0] === MessageType.HasCrc) {
      const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
      buf = buf.subarray(HasCrcHeaderSize);
      if (crc32(buf) !== expected) return false;
    }
    return actsOnMessage(buf, 0);
  });
}

function actsOnMessage(buf: Uint8Array, depth: number): boolean {
  if (buf.length === 0 || depth > MAX_NESTING) return false;
  const type = buf[0]!;
  const body = buf.subarray(1);
  return refusedOnWireError(() => {
    switch (type) {
      case MessageType.Compound:
        return splitCompound(body).parts.some((p) => actsOnMessage(p, depth + 1));
      case MessageType.Compress:
        return actsOnMessage(decompressBody(body, { maxOutput: MAX_DECOMPRESSED }).payload, depth + 1);
      case MessageType.User:
        return actsOnGossip(body, 0);
    }
    const codec = PACKET_STRUCTS.get(type);
    if (codec === undefined) return false; // memberlist: "msg type not supported"
    decodeStruct(codec, body);
    return true;
  });
}

/** Would NetworkDB's message handler apply anything of this GossipMessage? */
export function actsOnGossip(buf: Uint8Array, depth = 0): boolean {
  if (buf.length === 0 || depth > MAX_NESTING) return false;
  return refusedOnWireError(() => {
    const { type, data } = decodeEnvelope(buf);
    switch (type) {
      case GossipType.NodeEvent:
        decodeNodeEvent(data);
        return true;
      case GossipType.NetworkEvent:
        decodeNetworkEvent(data);
        return true;
      case GossipType.TableEvent:
        decodeTableEvent(data);
        return true;
      case GossipType.BulkSync:
        decodeBulkSync(data); // the header alone is acted on (counters, clock, sync bookkeeping)
        return true;
      case GossipType.Compound:
        return compoundParts(data).some((p) => actsOnGossip(p, depth + 1));
      default:
        return false; // NetworkDB: "unknown message type"
    }
  });
}

/**
 * Would a node act on a TCP connection that sends these bytes and closes?
 * It reads one frame (more bytes until the frame is whole); a pushPull is
 * merged and answered, a ping answered, a user message handed to NetworkDB
 * (acted on only if its GossipMessage is), ack and err frames are decoded
 * and then ignored (counted as valid: they decoded).
 */
export function actsOnStream(bytes: Uint8Array, keyring?: Keyring): boolean {
  if (bytes.length === 0) return false; // EOF before any byte
  return refusedOnWireError(() => {
    const { message } = decodeStream(bytes, keyring === undefined ? {} : { keyring, verifyIncoming: true });
    if (message.type === "user") return actsOnGossip(message.payload);
    return true;
  });
}

/**
 * Does the input get through decryption with `keyring` (a datagram as a
 * whole, a stream's first frame)? A mutation that happens to leave the
 * bytes as they were keeps an input authentic.
 */
export function authenticates(input: FuzzInput, keyring: Keyring): boolean {
  try {
    if (input.proto === "udp") decryptPacket(keyring, input.bytes);
    else if (input.bytes[0] !== MessageType.Encrypt) return false;
    else decryptStream(keyring, input.bytes);
    return true;
  } catch (err) {
    if (err instanceof WireError) return false;
    throw err;
  }
}

/** The whole-tree verdict of the offline decoders, for comparison: everything decodes and something is a known message. */
export function decodesWhole(input: FuzzInput, keyring?: Keyring): boolean {
  try {
    if (input.proto === "udp") {
      const leaves = leafMessages(decodePacket(input.bytes, keyring === undefined ? {} : { keyring }).message);
      return leaves.some((m) => m.type !== "user" || knownGossip(decodeGossip(m.payload)));
    }
    const { message } = decodeStream(input.bytes, keyring === undefined ? {} : { keyring });
    return message.type !== "user" || knownGossip(decodeGossip(message.payload));
  } catch (err) {
    if (err instanceof WireError) return false;
    throw err;
  }
}

function knownGossip(g: DecodedGossip): boolean {
  switch (g.kind) {
    case "unknown":
    case "pushPull": // not a message NetworkDB handles when it comes as a user message
      return false;
    case "compound":
      return g.messages.some(knownGossip);
    default:
      return true;
  }
}
