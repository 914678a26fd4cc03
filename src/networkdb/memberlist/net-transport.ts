/**
 * The real transport: UDP (node:dgram) for packets and TCP (node:net) for
 * streams, both on the same address and port, as memberlist's NetTransport.
 * Port 0 picks a free port (TCP first, then UDP on the same number, retried
 * when that UDP port happens to be taken).
 */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, connect, isIPv6, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { splitHostPort } from "./address.js";
import { RealClock, type Clock } from "./clock.js";
import { nullLogger, type Logger } from "./logger.js";
import type { Stream, Transport, TransportHandlers } from "./transport.js";

/** Receive buffer memberlist asks the kernel for, so bursts of gossip are not dropped (net_transport.go). */
const UDP_RECV_BUF_SIZE = 2 * 1024 * 1024;
/** How long a closed stream waits for the peer's FIN before it is torn down. */
const CLOSE_GRACE_MS = 5000;

export interface NetTransportOptions {
  /** Address to bind TCP and UDP to (default "0.0.0.0"). */
  bindAddr?: string;
  /** Port to bind (default 7946; 0 = any free port). */
  bindPort?: number;
  /** Clock for packet timestamps (default: a RealClock). */
  clock?: Clock;
  logger?: Logger;
}

export class NetTransport implements Transport {
  private handlers: TransportHandlers | undefined;
  private readonly sockets = new Set<Socket>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly udp: UdpSocket,
    readonly bindAddr: string,
    /** The port actually bound (TCP and UDP). */
    readonly port: number,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    server.on("connection", (socket) => {
      if (this.closed || this.handlers === undefined) {
        socket.destroy();
        return;
      }
      this.handlers.onStream(this.wrap(socket));
    });
    server.on("error", (err) => this.logger.error(`TCP listener error: ${err.message}`));
    udp.on("message", (msg, rinfo) => {
      if (this.closed || this.handlers === undefined) return;
      const from = rinfo.family === "IPv6" ? `[${rinfo.address}]:${rinfo.port}` : `${rinfo.address}:${rinfo.port}`;
      this.handlers.onPacket({
        buf: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
        from,
        timestamp: this.clock.now(),
      });
    });
    udp.on("error", (err) => this.logger.error(`UDP listener error: ${err.message}`));
  }

  /** Bind TCP and UDP on the configured address and port. */
  static async create(options: NetTransportOptions = {}): Promise<NetTransport> {
    const bindAddr = options.bindAddr ?? "0.0.0.0";
    const bindPort = options.bindPort ?? 7946;
    const clock = options.clock ?? new RealClock();
    const logger = options.logger ?? nullLogger;
    // With port 0 the TCP port the kernel picks may be taken on UDP: retry, as memberlist does.
    const attempts = bindPort === 0 ? 10 : 1;
    let lastError: unknown;
    for (let i = 0; i < attempts; i++) {
      const server = createServer({ noDelay: true });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen({ host: bindAddr, port: bindPort, exclusive: true }, () => {
            server.off("error", reject);
            resolve();
          });
        });
      } catch (err) {
        server.close();
        throw err;
      }
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : bindPort;
      const udp = createSocket({ type: isIPv6(bindAddr) ? "udp6" : "udp4", recvBufferSize: UDP_RECV_BUF_SIZE });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once("error", reject);
          udp.bind({ address: bindAddr, port, exclusive: true }, () => {
            udp.off("error", reject);
            resolve();
          });
        });
        return new NetTransport(server, udp, bindAddr, port, clock, logger);
      } catch (err) {
        lastError = err;
        udp.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
    throw new Error(`could not bind ${bindAddr}:${bindPort}: ${String(lastError)}`);
  }

  finalAdvertiseAddr(ip: string, port: number): { ip: string; port: number } {
    const advertisePort = port > 0 ? port : this.port;
    if (ip !== "") return { ip, port: advertisePort };
    if (this.bindAddr !== "0.0.0.0" && this.bindAddr !== "::") return { ip: this.bindAddr, port: advertisePort };
    // Bound to every address: advertise a private IPv4 address if there is one, as memberlist does.
    const candidates = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal && a.family === "IPv4")
      .map((a) => a!.address);
    const isPrivate = (a: string): boolean => /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a);
    const chosen = candidates.find(isPrivate) ?? candidates[0];
    if (chosen === undefined) throw new Error("no private IP address found, and explicit IP not provided");
    return { ip: chosen, port: advertisePort };
  }

  listen(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  writeTo(buf: Uint8Array, addr: string): number {
    const { host, port } = splitHostPort(addr);
    const now = this.clock.now();
    if (this.closed) return now;
    this.udp.send(buf, port, host, (err) => {
      if (err) this.logger.error(`failed to send packet to ${addr}: ${err.message}`);
    });
    return now;
  }

  dialTimeout(addr: string, timeoutMs: number): Promise<Stream> {
    const { host, port } = splitHostPort(addr);
    if (this.closed) return Promise.reject(new Error("transport is shut down"));
    return new Promise((resolve, reject) => {
      // A node bound to one address speaks from it over TCP too, as it does
      // over UDP: peers and firewalls see one address per node.
      const specific = this.bindAddr !== "0.0.0.0" && this.bindAddr !== "::";
      const socket = connect({ host, port, noDelay: true, ...(specific ? { localAddress: this.bindAddr } : {}) });
      const timer = this.clock.setTimeout(() => {
        socket.destroy();
        reject(new Error(`dial tcp ${addr}: i/o timeout`));
      }, timeoutMs);
      socket.once("error", (err) => {
        timer.cancel();
        socket.destroy();
        reject(err);
      });
      socket.once("connect", () => {
        timer.cancel();
        socket.removeAllListeners("error");
        resolve(this.wrap(socket));
      });
    });
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.server.close(() => resolve())),
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
    ]);
  }

  private wrap(socket: Socket): Stream {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    return new SocketStream(socket);
  }
}

/** A TCP socket as a Stream. */
class SocketStream implements Stream {
  readonly remoteAddr: string;
  private readonly chunks: Uint8Array[] = [];
  private reader: ((chunk: Uint8Array | null) => void) | undefined;
  private ended = false;

  constructor(private readonly socket: Socket) {
    const host = socket.remoteAddress ?? "";
    this.remoteAddr = host.includes(":") ? `[${host}]:${socket.remotePort}` : `${host}:${socket.remotePort}`;
    socket.on("data", (data: Buffer) => {
      const chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      const r = this.reader;
      if (r !== undefined) {
        this.reader = undefined;
        r(chunk);
      } else {
        this.chunks.push(chunk);
      }
    });
    const end = (): void => {
      this.ended = true;
      const r = this.reader;
      this.reader = undefined;
      r?.(null);
    };
    socket.on("end", end);
    socket.on("close", end);
    // Errors (resets) end the stream; the reader sees end of stream.
    socket.on("error", end);
  }

  write(data: Uint8Array): Promise<void> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.reject(new Error("write on closed stream"));
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.ended) return Promise.resolve(null);
    if (this.reader !== undefined) return Promise.reject(new Error("concurrent read on stream"));
    return new Promise((resolve) => (this.reader = resolve));
  }

  close(): void {
    if (this.ended && this.socket.destroyed) return;
    this.socket.end();
    const r = this.reader;
    this.reader = undefined;
    r?.(null);
    this.ended = true;
    // Do not linger on a peer that never closes its side; but once the socket
    // is closed, drop the timer, which would otherwise keep the closed socket
    // in memory for the whole grace period (a flood of short connections
    // then holds thousands of them).
    const grace = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    this.socket.once("close", () => clearTimeout(grace));
  }
}
