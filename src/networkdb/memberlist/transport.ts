/**
 * The seam between the protocol and the network, as memberlist's Transport:
 * a best-effort packet interface (UDP) and a reliable stream interface (TCP).
 * net-transport.ts implements it on real sockets; mem-transport.ts on an
 * in-memory network driven by a (virtual) clock, for deterministic tests and
 * simulation. Addresses are "host:port" strings.
 */

/** A datagram received from a peer. */
export interface Packet {
  /** The datagram's bytes, owned by the receiver. */
  buf: Uint8Array;
  /** Sender's "host:port". */
  from: string;
  /** Clock time at reception, as close to the arrival as possible (for RTTs). */
  timestamp: number;
}

/**
 * A reliable, ordered, duplex byte stream (a TCP connection). Reads and writes
 * are plain promises; deadlines are the caller's business (it closes the
 * stream when its clock says time is up).
 */
export interface Stream {
  /** The peer's "host:port". */
  readonly remoteAddr: string;
  /** Send bytes. Resolves once they are handed to the network; rejects if the stream is closed or broken. */
  write(data: Uint8Array): Promise<void>;
  /**
   * The next chunk of received bytes, or null at the end of the stream (the
   * peer closed it, it broke, or it was closed locally). Only one read may be
   * outstanding at a time.
   */
  read(): Promise<Uint8Array | null>;
  /** Close both directions. Bytes already written are still delivered; pending reads resolve with null. */
  close(): void;
}

/** What a transport needs from memberlist: somewhere to deliver what arrives. */
export interface TransportHandlers {
  /** A datagram arrived. Called synchronously from the receive path: must not block. */
  onPacket(packet: Packet): void;
  /** A peer opened a stream to us. The handler owns it and must close it. */
  onStream(stream: Stream): void;
}

/** memberlist's Transport, with callbacks in place of Go channels. */
export interface Transport {
  /**
   * The IP and port to advertise to the cluster, given the user's configured
   * values (empty string / 0 when not configured).
   */
  finalAdvertiseAddr(ip: string, port: number): { ip: string; port: number };
  /** Start delivering packets and streams to `handlers` (called once, before any traffic). */
  listen(handlers: TransportHandlers): void;
  /**
   * Send one datagram to "host:port", best effort. Returns the clock time of
   * the send. Throws only for a locally invalid request (bad address).
   */
  writeTo(buf: Uint8Array, addr: string): number;
  /** Open a stream to "host:port"; rejects when it cannot be opened within `timeoutMs`. */
  dialTimeout(addr: string, timeoutMs: number): Promise<Stream>;
  /** Stop listening and close everything; further sends are dropped. */
  shutdown(): Promise<void>;
}
