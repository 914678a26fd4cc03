/**
 * One query to an upstream over TCP (RFC 1035 4.2.2: a two-byte length
 * before each message), on a connection of its own, as Docker's forwarder
 * does. Used for queries that came in over TCP and to retry a UDP reply
 * that came back truncated.
 */
import { connect, type Socket } from "node:net";
import { tcpConnectFrom, type InetFamily } from "../linux/inet-socket.js";
import { isReplyTo } from "./upstream-udp.js";

/**
 * Resolves with the reply, or undefined on refusal, reset, a malformed
 * frame or `timeoutMs` without an answer. `query`'s id is sent as it is.
 */
export function tcpExchange(
  nsPath: string | null,
  family: InetFamily,
  address: string,
  port: number,
  query: Buffer,
  questionEnd: number,
  timeoutMs: number,
  onError: (err: unknown) => void,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let socket: Socket;
    try {
      socket = nsPath === null ? connect({ host: address, port }) : tcpConnectFrom(nsPath, family, address, port);
    } catch (error) {
      onError(error);
      resolve(undefined);
      return;
    }
    let received: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (reply: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on("error", (err) => {
      onError(err);
      finish(undefined);
    });
    socket.on("close", () => finish(undefined));
    socket.on("data", (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      while (received.length >= 2) {
        const len = received.readUInt16BE(0);
        if (received.length < 2 + len) return;
        const reply = received.subarray(2, 2 + len);
        received = received.subarray(2 + len);
        if (isReplyTo(query, questionEnd, reply)) return finish(Buffer.from(reply));
      }
    });
    const frame = Buffer.allocUnsafe(2 + query.length);
    frame.writeUInt16BE(query.length, 0);
    query.copy(frame, 2);
    socket.write(frame);
  });
}
