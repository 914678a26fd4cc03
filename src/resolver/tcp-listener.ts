/**
 * The TCP side of the resolver (RFC 7766): length-prefixed messages,
 * several queries per connection answered as each is ready (pipelining),
 * a cap on connections and an idle timeout so that silent or slow clients
 * cannot hold the listener.
 */
import type { Server, Socket } from "node:net";
import { tcpServerIn } from "../linux/inet-socket.js";

export interface TcpListenerTuning {
  /** Connections open at once; more are closed on accept. */
  readonly maxConnections: number;
  /** A connection with no complete query for this long is closed. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_TCP_TUNING: TcpListenerTuning = { maxConnections: 128, idleTimeoutMs: 10_000 };

/** Gets one query; writes back through `reply` (once, or never to drop it). */
export type TcpQueryHandler = (query: Buffer, reply: (message: Buffer) => void) => void;

export class TcpListener {
  private readonly connections = new Set<Socket>();

  private constructor(private server: Server | undefined) {}

  static async open(
    nsPath: string,
    address: string,
    port: number,
    tuning: TcpListenerTuning,
    handler: TcpQueryHandler,
    onError: (err: unknown) => void,
  ): Promise<TcpListener> {
    let listener: TcpListener | undefined;
    const server = await tcpServerIn(nsPath, 4, address, port, 128, (socket) => listener?.accept(socket, tuning, handler, onError));
    server.maxConnections = tuning.maxConnections;
    server.on("error", onError);
    listener = new TcpListener(server);
    return listener;
  }

  private accept(socket: Socket, tuning: TcpListenerTuning, handler: TcpQueryHandler, onError: (err: unknown) => void): void {
    this.connections.add(socket);
    socket.on("close", () => this.connections.delete(socket));
    // Errors (resets) only end this connection; they go to onError, which a daemon logs at debug.
    socket.on("error", (err) => {
      socket.destroy();
      onError(err);
    });
    socket.setNoDelay(true);
    socket.setTimeout(tuning.idleTimeoutMs, () => socket.destroy());
    let pending: Buffer | undefined;
    const reply = (message: Buffer): void => {
      if (socket.destroyed || !socket.writable) return;
      const frame = Buffer.allocUnsafe(2 + message.length);
      frame.writeUInt16BE(message.length, 0);
      message.copy(frame, 2);
      socket.write(frame);
    };
    socket.on("data", (chunk: Buffer) => {
      let data: Buffer = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
      while (data.length >= 2) {
        const len = data.readUInt16BE(0);
        if (data.length < 2 + len) break;
        // A copy: the handler may keep the query while it is forwarded.
        const query = Buffer.from(data.subarray(2, 2 + len));
        data = data.subarray(2 + len);
        handler(query, reply);
      }
      pending = data.length > 0 ? data : undefined;
    });
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
