/**
 * memberlist's compress message (type 9): 0x09 followed by the msgpack map
 * {Algo, Buf}, Algo 0 = LZW, Buf = Go-compatible LZW of a complete inner
 * message (util.go compressPayload / decompressBuffer).
 */
import { ByteWriter } from "./byte-writer.js";
import { WireError } from "./errors.js";
import { lzwDecode, lzwEncode, type LzwStats } from "./lzw.js";
import { CompressionAlgo, MessageType } from "./message-types.js";
import { MsgpackWriter } from "./msgpack.js";
import { compressCodec, decodeStruct, type Compress } from "./structs.js";

/** Wrap `inner` (a complete message) in a compress message, type byte included. */
export function compressMessage(inner: Uint8Array): Uint8Array {
  const buf = lzwEncode(inner);
  const w = new MsgpackWriter(new ByteWriter(buf.length + 16));
  w.out.u8(MessageType.Compress);
  compressCodec.encode(w, { Algo: CompressionAlgo.Lzw, Buf: buf });
  return w.out.finish();
}

/** A decoded compress message. */
export interface Decompressed {
  /** The compressed bytes as received (`Buf`). */
  buf: Uint8Array;
  /** The decompressed inner message. */
  payload: Uint8Array;
  /** Offset just after the msgpack map, relative to the body given. */
  end: number;
}

export interface DecompressOptions {
  /** Cap on the decompressed size (default 10 MiB). */
  maxOutput?: number;
  /** Filled with LZW statistics when given. */
  stats?: LzwStats;
}

/** Decode the body of a compress message (the bytes after the 0x09 type byte) and decompress it. */
export function decompressBody(body: Uint8Array, options: DecompressOptions = {}): Decompressed {
  const { value, end } = decodeStruct(compressCodec, body);
  const { buf, payload } = decompressStruct(value, options);
  return { buf, payload, end };
}

/** Decompress an already decoded compress struct. */
export function decompressStruct(value: Compress, options: DecompressOptions = {}): { buf: Uint8Array; payload: Uint8Array } {
  if (value.Algo !== CompressionAlgo.Lzw) {
    throw new WireError("unsupported", `cannot decompress unknown algorithm ${value.Algo}`);
  }
  const buf = value.Buf ?? new Uint8Array(0);
  const lzwOptions: { maxOutput?: number; stats?: LzwStats } = {};
  if (options.maxOutput !== undefined) lzwOptions.maxOutput = options.maxOutput;
  if (options.stats !== undefined) lzwOptions.stats = options.stats;
  return { buf, payload: lzwDecode(buf, lzwOptions) };
}
