/**
 * startResolver: the embedded DNS of one sandbox, listening on
 * 127.0.0.11:53 (UDP and TCP) inside the sandbox's namespace. Local names
 * are answered synchronously in the message handler; the rest goes to the
 * Forwarder.
 *
 * Docker binds random ports and redirects port 53 to them with iptables, so
 * that a container may run its own server on :53; cnm binds :53 itself.
 */
import type { Socket as UdpSocket, RemoteInfo } from "node:dgram";
import { InvalidParameterError } from "../errors.js";
import { udpSocketIn } from "../linux/inet-socket.js";
import { EMBEDDED_DNS_ADDRESS, type EmbeddedResolver, type ResolverOptions } from "./contract.js";
import { DEFAULT_FORWARDER_TUNING, Forwarder, type ForwarderTuning } from "./forwarder.js";
import { LocalAnswers } from "./local.js";
import { emptyReply, truncatedRelay } from "./replies.js";
import { DEFAULT_TCP_TUNING, TcpListener, type TcpListenerTuning } from "./tcp-listener.js";
import { ParsedQuery, QUERY_DROP, QUERY_REJECT, RCODE_SERVFAIL, parseQuery, udpLimit } from "./wire.js";
import { isIPv4 } from "node:net";

/** Knobs outside the contract, for tests and benchmarks; defaults as documented in each. */
export interface ResolverTuning extends ForwarderTuning, TcpListenerTuning {
  /** Port to listen on (UDP and TCP). Default 53. */
  readonly port: number;
}

export const DEFAULT_RESOLVER_TUNING: ResolverTuning = { ...DEFAULT_FORWARDER_TUNING, ...DEFAULT_TCP_TUNING, port: 53 };

const ignore = (): void => {};

class Resolver implements EmbeddedResolver {
  private readonly udpQuery = new ParsedQuery();
  private readonly tcpQuery = new ParsedQuery();
  private readonly local: LocalAnswers;
  private readonly forwards: () => boolean;
  private udp: UdpSocket | undefined;
  private tcp: TcpListener | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly address: string,
    options: ResolverOptions,
    private readonly forwarder: Forwarder,
    private readonly onError: (err: unknown) => void,
  ) {
    this.local = new LocalAnswers(options.records);
    const records = options.records;
    this.forwards = records.forwards ? () => records.forwards!() : () => true;
  }

  async listen(nsPath: string, port: number, tuning: ResolverTuning): Promise<void> {
    this.udp = await udpSocketIn(nsPath, 4, this.address, port);
    this.udp.on("message", (msg, from) => this.onUdp(msg, from));
    this.udp.on("error", this.onError);
    this.tcp = await TcpListener.open(nsPath, this.address, port, tuning, (query, reply) => this.onTcp(query, reply), this.onError);
  }

  private onUdp(msg: Buffer, from: RemoteInfo): void {
    const udp = this.udp;
    if (udp === undefined) return;
    const q = this.udpQuery;
    const outcome = parseQuery(msg, q);
    if (outcome === QUERY_DROP) return;
    if (outcome === QUERY_REJECT) {
      udp.send(emptyReply(msg, q, q.rcode), from.port, from.address);
      return;
    }
    const limit = udpLimit(q);
    const answer = this.answerLocally(msg, q, limit);
    if (answer !== undefined) {
      udp.send(answer, from.port, from.address);
      return;
    }
    if (!this.forwards()) {
      udp.send(emptyReply(msg, q, RCODE_SERVFAIL), from.port, from.address);
      return;
    }
    const kept = q.clone();
    void this.forwarder.forward(msg, kept, false).then((reply) => {
      if (reply === undefined || this.udp === undefined) return;
      this.udp.send(reply.length > limit ? truncatedRelay(msg, kept, reply) : reply, from.port, from.address);
    }, this.onError);
  }

  private onTcp(query: Buffer, reply: (message: Buffer) => void): void {
    const q = this.tcpQuery;
    const outcome = parseQuery(query, q);
    if (outcome === QUERY_DROP) return;
    if (outcome === QUERY_REJECT) return reply(emptyReply(query, q, q.rcode));
    const answer = this.answerLocally(query, q, 65535);
    if (answer !== undefined) return reply(answer);
    if (!this.forwards()) return reply(emptyReply(query, q, RCODE_SERVFAIL));
    void this.forwarder.forward(query, q.clone(), true).then((r) => r && reply(r), this.onError);
  }

  /** Local answer, undefined to forward; SERVFAIL if the records throw. */
  private answerLocally(msg: Buffer, q: ParsedQuery, limit: number): Buffer | undefined {
    try {
      return this.local.answer(msg, q, limit);
    } catch (error) {
      this.onError(error);
      return emptyReply(msg, q, RCODE_SERVFAIL);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.forwarder.close();
      const udp = this.udp;
      this.udp = undefined;
      await Promise.all([
        udp && new Promise<void>((resolve) => udp.close(() => resolve())),
        this.tcp?.close(),
      ]);
      this.tcp = undefined;
    })();
    return this.closing;
  }
}

/**
 * Starts the embedded resolver of the sandbox whose namespace is
 * options.namespace (its loopback must be up). Resolves once it listens on
 * UDP and TCP; a failure half-way closes what was opened.
 */
export async function startResolver(options: ResolverOptions, tuning: Partial<ResolverTuning> = {}): Promise<EmbeddedResolver> {
  const address = options.listenAddress ?? EMBEDDED_DNS_ADDRESS;
  if (!isIPv4(address)) throw new InvalidParameterError(`resolver listen address "${address}" must be an IPv4 address`);
  if (!options.namespace) throw new InvalidParameterError("resolver namespace path is empty");
  const full: ResolverTuning = { ...DEFAULT_RESOLVER_TUNING, ...tuning };
  const onError = options.onError ?? ignore;
  let forwarder: Forwarder;
  try {
    forwarder = new Forwarder(options.namespace, options.upstreams, full, onError);
  } catch (error) {
    throw new InvalidParameterError((error as Error).message, { cause: error });
  }
  const resolver = new Resolver(address, options, forwarder, onError);
  try {
    await resolver.listen(options.namespace, full.port, full);
  } catch (error) {
    await resolver.close();
    throw error;
  }
  return resolver;
}
