/**
 * One frame per stream direction, as memberlist's rawSendMsgStream and
 * readStream: write [encrypt][compress] message; read bytes until a whole
 * frame decodes. Every read and write has a deadline on the memberlist clock;
 * when it passes, the stream is closed and the operation fails.
 */
import {
  WireError,
  decodeStream,
  encodeStream,
  encryptionVersionFor,
  type StreamMessage,
} from "../wire/index.js";
import { encryptionEnabled, type Config } from "./config.js";
import { count, type MemberlistStats } from "./stats.js";
import type { Stream } from "./transport.js";

/** The stream ended before anything was read (Go's io.EOF: not worth an error reply). */
export class StreamEOF extends Error {
  override readonly name = "StreamEOF";
  constructor() {
    super("EOF");
  }
}

/** A stream deadline passed. */
export class StreamTimeout extends Error {
  override readonly name = "StreamTimeout";
  constructor(what: string) {
    super(`${what}: i/o timeout`);
  }
}

export class StreamIO {
  constructor(
    private readonly config: Config,
    private readonly stats: MemberlistStats,
  ) {}

  /** Write `message` as one frame: compressed when enabled (always, even if larger), encrypted when configured. */
  async writeFrame(stream: Stream, message: StreamMessage, timeoutMs: number): Promise<void> {
    const { config } = this;
    const encrypt = encryptionEnabled(config) && config.gossipVerifyOutgoing;
    const bytes = encodeStream(message, {
      compress: config.enableCompression,
      ...(encrypt
        ? { keyring: config.keyring!, encryptionVersion: encryptionVersionFor(config.protocolVersion) }
        : {}),
    });
    count(this.stats.streamMessagesSent, message.type, bytes.length);
    this.stats.streamBytesSent += bytes.length;
    await this.deadline(stream, stream.write(bytes), timeoutMs, "write");
  }

  /**
   * Read one frame. Throws StreamEOF if the stream ends before any byte,
   * StreamTimeout when `timeoutMs` passes, WireError for a bad frame (wrong
   * key, unencrypted while encryption is required, malformed ...).
   */
  async readFrame(stream: Stream, timeoutMs: number): Promise<StreamMessage> {
    const { config } = this;
    const acc = new Accumulator();
    const options = {
      ...(encryptionEnabled(config) ? { keyring: config.keyring! } : {}),
      verifyIncoming: config.gossipVerifyIncoming,
    };
    const work = (async (): Promise<StreamMessage> => {
      for (;;) {
        const chunk = await stream.read();
        if (chunk === null) {
          if (acc.length === 0) throw new StreamEOF();
          throw new WireError("truncated", `stream ended after ${acc.length} bytes, inside a frame`);
        }
        acc.push(chunk);
        this.stats.streamBytesReceived += chunk.length;
        try {
          const { message } = decodeStream(acc.bytes(), options);
          count(this.stats.streamMessagesReceived, message.type, acc.length);
          return message;
        } catch (err) {
          if (err instanceof WireError && err.code === "truncated") continue;
          throw err;
        }
      }
    })();
    return this.deadline(stream, work, timeoutMs, "read");
  }

  /** Run `op`, closing the stream and failing with StreamTimeout if it takes longer than `ms`. */
  private deadline<T>(stream: Stream, op: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const timer = this.config.clock.setTimeout(() => {
        if (done) return;
        done = true;
        stream.close();
        reject(new StreamTimeout(`${what} ${stream.remoteAddr}`));
      }, ms);
      op.then(
        (v) => {
          if (done) return;
          done = true;
          timer.cancel();
          resolve(v);
        },
        (err: unknown) => {
          if (done) return;
          done = true;
          timer.cancel();
          reject(err);
        },
      );
    });
  }
}

/** Appends chunks into one growing buffer (doubling), so re-decoding after each chunk stays linear. */
class Accumulator {
  private buf = new Uint8Array(0);
  length = 0;

  push(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.length + chunk.length, 1024));
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(chunk, this.length);
    this.length += chunk.length;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
