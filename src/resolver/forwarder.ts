/**
 * Forwarding of foreign names to the upstream servers, in order, as
 * Docker's forwardExtDNS: the first upstream whose reply is neither
 * SERVFAIL nor REFUSED wins and its reply is relayed as it is (with the
 * client's id put back); no answer from any gives SERVFAIL. A UDP reply with
 * TC set is asked again over TCP; a query that came over TCP goes over TCP.
 * At most `maxConcurrent` queries are out at once; beyond, REFUSED.
 */
import { isIP } from "node:net";
import { formatIPv6Groups, parseIPv6Into } from "../inet/index.js";
import type { InetFamily } from "../linux/inet-socket.js";
import type { Upstream } from "./contract.js";
import { emptyReply } from "./replies.js";
import { tcpExchange } from "./upstream-tcp.js";
import { UpstreamUdpClient } from "./upstream-udp.js";
import { FLAG_TC, RCODE_REFUSED, RCODE_SERVFAIL, type ParsedQuery } from "./wire.js";

export interface ForwarderTuning {
  /** Wait for one upstream's UDP reply. Docker waits 4 s (extIOTimeout) for any reply. */
  readonly udpTimeoutMs: number;
  /** Whole TCP exchange (connect, send, reply) with one upstream. */
  readonly tcpTimeoutMs: number;
  /** Docker's maxConcurrent: forwarded queries in flight at once. */
  readonly maxConcurrent: number;
}

export const DEFAULT_FORWARDER_TUNING: ForwarderTuning = {
  udpTimeoutMs: 2000,
  tcpTimeoutMs: 4000,
  maxConcurrent: 100,
};

interface Target {
  readonly address: string;
  readonly port: number;
  readonly family: InetFamily;
  /** null: reached from the host's namespace. */
  readonly nsPath: string | null;
}

/** Upstream address in the form Node reports a sender's in (RFC 5952 for IPv6). */
function normalise(upstream: Upstream, nsPath: string): Target {
  const family = isIP(upstream.address);
  if (family === 0) throw new TypeError(`upstream "${upstream.address}" is not an IP address`);
  let address = upstream.address;
  if (family === 6) {
    const groups = new Array<number>(8);
    if (parseIPv6Into(address, groups)) address = formatIPv6Groups(groups);
  }
  const port = upstream.port ?? 53;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`upstream port ${port} is out of range`);
  return { address, port, family: family as InetFamily, nsPath: upstream.fromHost ? null : nsPath };
}

export class Forwarder {
  private readonly targets: readonly Target[];
  private readonly udpClients = new Map<string, UpstreamUdpClient>();
  private inFlight = 0;
  private closed = false;

  constructor(
    nsPath: string,
    upstreams: readonly Upstream[],
    private readonly tuning: ForwarderTuning,
    private readonly onError: (err: unknown) => void,
  ) {
    this.targets = upstreams.map((u) => normalise(u, nsPath));
  }

  /**
   * The reply to relay for `query` (q: its parse, kept by the caller), with
   * the client's id; undefined once closed.
   */
  async forward(query: Buffer, q: ParsedQuery, overTcp: boolean): Promise<Buffer | undefined> {
    if (this.inFlight >= this.tuning.maxConcurrent) return emptyReply(query, q, RCODE_REFUSED);
    this.inFlight++;
    try {
      for (const target of this.targets) {
        const reply = await this.ask(target, query, q, overTcp);
        if (this.closed) return undefined;
        if (reply === undefined) continue;
        const rcode = reply[3]! & 0xf;
        // SERVFAIL, and REFUSED which may be passing, send us to the next one.
        if (rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED) continue;
        reply.writeUInt16BE(q.id, 0);
        return reply;
      }
      return this.closed ? undefined : emptyReply(query, q, RCODE_SERVFAIL);
    } finally {
      this.inFlight--;
    }
  }

  private async ask(target: Target, query: Buffer, q: ParsedQuery, overTcp: boolean): Promise<Buffer | undefined> {
    try {
      return await this.attempt(target, query, q, overTcp);
    } catch (error) {
      // A socket that cannot be made (namespace gone, no route): next upstream.
      this.onError(error);
      return undefined;
    }
  }

  private async attempt(target: Target, query: Buffer, q: ParsedQuery, overTcp: boolean): Promise<Buffer | undefined> {
    // A copy: the id is rewritten per attempt and the client's bytes stay intact.
    const outgoing = Buffer.from(query);
    if (!overTcp) {
      const reply = await this.udpClient(target).exchange(outgoing, q.questionEnd, target.address, target.port, this.tuning.udpTimeoutMs);
      if (reply === undefined) {
        this.onError(new Error(`upstream ${target.address}:${target.port} gave no UDP reply in ${this.tuning.udpTimeoutMs} ms`));
        return undefined;
      }
      if (!(reply.readUInt16BE(2) & FLAG_TC) || this.closed) return reply;
      // Truncated: the full answer over TCP; failing that, the cut one, so
      // that the client at least learns to retry over TCP itself.
      return (await this.tcp(target, outgoing, q)) ?? reply;
    }
    outgoing.writeUInt16BE(Math.floor(Math.random() * 65536), 0);
    const reply = await this.tcp(target, outgoing, q);
    if (reply === undefined) this.onError(new Error(`upstream ${target.address}:${target.port} gave no TCP reply`));
    return reply;
  }

  private tcp(target: Target, outgoing: Buffer, q: ParsedQuery): Promise<Buffer | undefined> {
    return tcpExchange(target.nsPath, target.family, target.address, target.port, outgoing, q.questionEnd, this.tuning.tcpTimeoutMs, this.onError);
  }

  private udpClient(target: Target): UpstreamUdpClient {
    const key = `${target.nsPath ?? ""}|${target.family}`;
    let client = this.udpClients.get(key);
    if (client === undefined) {
      client = new UpstreamUdpClient(target.nsPath, target.family, this.onError);
      this.udpClients.set(key, client);
    }
    return client;
  }

  close(): void {
    this.closed = true;
    for (const client of this.udpClients.values()) client.close();
    this.udpClients.clear();
  }
}
