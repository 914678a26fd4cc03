/**
 * Queries to upstream servers over UDP, from one origin (the sandbox's
 * namespace or the host's) and one address family. A few sockets with
 * random ports are shared by all forwarded queries (a socket per query, as
 * Docker's Go client opens, costs several system calls and, in a foreign
 * namespace, a setns each); a reply is accepted only from the server asked,
 * with the random id it was sent with and the question it was asked, which
 * keeps off-path spoofing as hard as a fresh socket would.
 */
import type { Socket as UdpSocket, RemoteInfo } from "node:dgram";
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { udpSocketIn, type InetFamily } from "../linux/inet-socket.js";
import { FLAG_QR, HEADER_SIZE } from "./wire.js";

/** Sockets per origin and family: ids are drawn per socket, so 4 x 65536 slots. */
const POOL_SIZE = 4;

interface Pending {
  readonly address: string;
  readonly port: number;
  readonly query: Buffer;
  readonly questionEnd: number;
  readonly resolve: (reply: Buffer | undefined) => void;
  readonly timer: NodeJS.Timeout;
}

/** ASCII case-insensitive comparison of the question sections. */
function sameQuestion(query: Buffer, reply: Buffer, end: number): boolean {
  if (reply.length < end) return false;
  for (let i = HEADER_SIZE; i < end; i++) {
    let a = query[i]!;
    let b = reply[i]!;
    if (a === b) continue;
    if (a >= 0x41 && a <= 0x5a) a += 0x20;
    if (b >= 0x41 && b <= 0x5a) b += 0x20;
    if (a !== b) return false;
  }
  return true;
}

/** Whether `reply` answers `query` (same id, a response, same question or none with an error). */
export function isReplyTo(query: Buffer, questionEnd: number, reply: Buffer): boolean {
  if (reply.length < HEADER_SIZE || reply[0] !== query[0] || reply[1] !== query[1]) return false;
  if (!((reply[2]! << 8) & FLAG_QR)) return false;
  const qdcount = (reply[4]! << 8) | reply[5]!;
  // FORMERR and friends may come back without the question.
  if (qdcount === 0) return (reply[3]! & 0xf) !== 0;
  return qdcount === 1 && sameQuestion(query, reply, questionEnd);
}

export class UpstreamUdpClient {
  private sockets: UdpSocket[] | undefined;
  private opening: Promise<UdpSocket[]> | undefined;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  /** nsPath null: the host's namespace. */
  constructor(
    private readonly nsPath: string | null,
    private readonly family: InetFamily,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Sends `query` (its id is overwritten) and resolves with the reply, or
   * undefined after `timeoutMs` or when closed.
   */
  async exchange(query: Buffer, questionEnd: number, address: string, port: number, timeoutMs: number): Promise<Buffer | undefined> {
    const sockets = this.sockets ?? (await this.open());
    if (this.closed) return undefined;
    const index = randomInt(sockets.length);
    let key: number;
    let id: number;
    do {
      id = randomInt(65536);
      key = index * 65536 + id;
    } while (this.pending.has(key));
    query.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(key, undefined), timeoutMs);
      this.pending.set(key, { address, port, query, questionEnd, resolve, timer });
      sockets[index]!.send(query, port, address, (err) => {
        if (err) {
          this.onError(err);
          this.settle(key, undefined);
        }
      });
    });
  }

  private settle(key: number, reply: Buffer | undefined): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.resolve(reply);
  }

  private onMessage(index: number, reply: Buffer, from: RemoteInfo): void {
    if (reply.length < HEADER_SIZE) return;
    const key = index * 65536 + ((reply[0]! << 8) | reply[1]!);
    const p = this.pending.get(key);
    if (p === undefined || from.port !== p.port || from.address !== p.address) return;
    if (!isReplyTo(p.query, p.questionEnd, reply)) return;
    this.settle(key, reply);
  }

  private open(): Promise<UdpSocket[]> {
    this.opening ??= (async () => {
      const wildcard = this.family === 4 ? "0.0.0.0" : "::";
      const made: UdpSocket[] = [];
      try {
        for (let i = 0; i < POOL_SIZE; i++) {
          made.push(
            this.nsPath === null
              ? await hostSocket(this.family)
              : await udpSocketIn(this.nsPath, this.family, wildcard, 0),
          );
        }
      } catch (error) {
        for (const s of made) s.close();
        this.opening = undefined;
        throw error;
      }
      made.forEach((s, index) => {
        s.on("message", (reply, from) => this.onMessage(index, reply, from));
        s.on("error", this.onError);
      });
      if (this.closed) for (const s of made) s.close();
      this.sockets = made;
      return made;
    })();
    return this.opening;
  }

  close(): void {
    this.closed = true;
    for (const key of [...this.pending.keys()]) this.settle(key, undefined);
    for (const s of this.sockets ?? []) s.close();
    this.sockets = [];
  }
}

function hostSocket(family: InetFamily): Promise<UdpSocket> {
  const socket = createSocket(family === 4 ? "udp4" : "udp6");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}
