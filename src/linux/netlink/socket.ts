// A netlink socket speaking request/acknowledge and dump, synchronously.
//
// Every request carries a fresh sequence number; replies with another number
// are leftovers of an earlier request that timed out or threw, and are skipped.
// Kernel errors become LinuxError naming the operation, e.g.
// `link add "br-x": File exists (EEXIST)`.
import { native, isNativeError } from "../native.js";
import { LinuxError } from "../errors.js";
import { AttrMap, type NlAttrItem } from "./attributes.js";
import { encodeMessage, splitMessages, type NlMessage } from "./message.js";
import {
  NLMSG_HDRLEN,
  NLMSG_NOOP,
  NLMSG_ERROR,
  NLMSG_DONE,
  NLMSG_OVERRUN,
  NLM_F_REQUEST,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_CAPPED,
  NLM_F_ACK_TLVS,
  NLMSGERR_ATTR_MSG,
} from "./constants.js";

const EINTR = 4;
const EPROTO = 71;

export interface NetlinkSocketOptions {
  /** Open the socket inside the network namespace at this path (e.g. /run/netns/x).
   * The socket then acts on that namespace for its whole life. Default: this process's. */
  nsPath?: string;
  /** Multicast groups to join (for subscriptions). Default: none. */
  groups?: number[];
  /** SO_RCVBUF(FORCE) in bytes; 0 keeps the system default. Matters only for
   * multicast listeners, which lose messages (ENOBUFS) when it fills. */
  receiveBufferBytes?: number;
  /** How long a request waits for the kernel's reply before throwing
   * ETIMEDOUT, so a lost reply cannot hang the process. Default 10 s: rtnl_lock
   * can be held for seconds by a busy host (e.g. namespace teardown). */
  timeoutMs?: number;
}

/** A dump whose results changed under it (NLM_F_DUMP_INTR) is retried this
 * many times before the last, possibly inconsistent, result is returned. */
const DUMP_ATTEMPTS = 4;

export class NetlinkSocket {
  private seq: number;
  private fdOrClosed: number;

  private constructor(
    fd: number,
    /** NETLINK_ROUTE, NETLINK_NETFILTER... */
    readonly protocol: number,
    /** Namespace the socket was opened in (undefined: the process's own). */
    readonly nsPath: string | undefined,
  ) {
    this.fdOrClosed = fd;
    // Random start so that two sockets' traffic is never confused in traces.
    this.seq = Math.floor(Math.random() * 0x7fffffff);
  }

  /** Opens a socket; a missing or invalid namespace path throws LinuxError
   * (ENOENT, EINVAL) and leaves the calling thread in its own namespace. */
  static open(protocol: number, options: NetlinkSocketOptions = {}): NetlinkSocket {
    let fd: number;
    try {
      fd = native().socketOpen(
        protocol,
        options.nsPath ?? null,
        options.groups ?? [],
        options.receiveBufferBytes ?? 0,
        options.timeoutMs ?? 10_000,
      );
    } catch (error) {
      const where = options.nsPath === undefined ? "" : ` in ${options.nsPath}`;
      throw wrapNative(`netlink socket open${where}`, error);
    }
    return new NetlinkSocket(fd, protocol, options.nsPath);
  }

  /** The file descriptor; throws once closed. */
  get fd(): number {
    if (this.fdOrClosed < 0) throw new Error("netlink socket is closed");
    return this.fdOrClosed;
  }

  get closed(): boolean {
    return this.fdOrClosed < 0;
  }

  close(): void {
    if (this.fdOrClosed < 0) return;
    const fd = this.fdOrClosed;
    this.fdOrClosed = -1;
    native().socketClose(fd);
  }

  /** Sends one request with NLM_F_ACK and waits for the acknowledgement.
   * Returns the messages the kernel sent before it (the reply to a GET, or an
   * echo); throws LinuxError when the kernel answers with an error. */
  request(
    type: number,
    flags: number,
    familyHeader: Buffer,
    attrs: readonly NlAttrItem[],
    operation: string,
  ): NlMessage[] {
    const seq = this.send(type, flags | NLM_F_REQUEST | NLM_F_ACK, familyHeader, attrs, operation);
    return this.receive(seq, operation);
  }

  /** Dumps every object of a kind (NLM_F_DUMP) and returns the messages. */
  dump(type: number, familyHeader: Buffer, attrs: readonly NlAttrItem[], operation: string): NlMessage[] {
    for (let attempt = 1; ; attempt++) {
      const seq = this.send(type, NLM_F_REQUEST | NLM_F_DUMP, familyHeader, attrs, operation);
      const { messages, interrupted } = this.receiveDump(seq, operation);
      if (!interrupted || attempt >= DUMP_ATTEMPTS) return messages;
    }
  }

  private send(
    type: number,
    flags: number,
    familyHeader: Buffer,
    attrs: readonly NlAttrItem[],
    operation: string,
  ): number {
    this.seq = (this.seq + 1) >>> 0;
    const message = encodeMessage(type, flags, this.seq, familyHeader, attrs);
    try {
      native().socketSend(this.fd, message);
    } catch (error) {
      throw wrapNative(operation, error);
    }
    return this.seq;
  }

  private recv(operation: string): NlMessage[] {
    try {
      return splitMessages(native().socketRecv(this.fd));
    } catch (error) {
      throw wrapNative(operation, error);
    }
  }

  private receive(seq: number, operation: string): NlMessage[] {
    const replies: NlMessage[] = [];
    for (;;) {
      for (const message of this.recv(operation)) {
        if (message.seq !== seq || message.type === NLMSG_NOOP) continue;
        if (message.type === NLMSG_ERROR) {
          const { errno, kernelMessage } = decodeError(message);
          if (errno !== 0) throw new LinuxError(operation, errno, kernelMessage);
          return replies;
        }
        if (message.type === NLMSG_OVERRUN) throw new LinuxError(operation, EPROTO, "netlink overrun");
        replies.push(message);
      }
    }
  }

  private receiveDump(seq: number, operation: string): { messages: NlMessage[]; interrupted: boolean } {
    const messages: NlMessage[] = [];
    let interrupted = false;
    for (;;) {
      for (const message of this.recv(operation)) {
        if (message.seq !== seq || message.type === NLMSG_NOOP) continue;
        if ((message.flags & NLM_F_DUMP_INTR) !== 0) interrupted = true;
        if (message.type === NLMSG_DONE) {
          // DONE carries the dump's final status as an int.
          const status = message.payload.length >= 4 ? message.payload.readInt32LE(0) : 0;
          if (status === -EINTR) interrupted = true;
          else if (status < 0) throw new LinuxError(operation, -status);
          return { messages, interrupted };
        }
        if (message.type === NLMSG_ERROR) {
          const { errno, kernelMessage } = decodeError(message);
          if (errno === EINTR) return { messages, interrupted: true };
          if (errno !== 0) throw new LinuxError(operation, errno, kernelMessage);
          return { messages, interrupted };
        }
        if (message.type === NLMSG_OVERRUN) throw new LinuxError(operation, EPROTO, "netlink overrun");
        messages.push(message);
      }
    }
  }
}

/** Reads struct nlmsgerr (int error, then the offending request's header, or
 * the whole request unless NLM_F_CAPPED) and the extended-ack attributes. */
export function decodeError(message: NlMessage): { errno: number; kernelMessage: string | undefined } {
  const payload = message.payload;
  const status = payload.length >= 4 ? payload.readInt32LE(0) : -EPROTO;
  const errno = status === 0 ? 0 : -status; // the kernel sends -errno; 0 is an ack
  let kernelMessage: string | undefined;
  if ((message.flags & NLM_F_ACK_TLVS) !== 0 && payload.length >= 4 + NLMSG_HDRLEN) {
    const echoed = (message.flags & NLM_F_CAPPED) !== 0 ? NLMSG_HDRLEN : payload.readUInt32LE(4);
    const tlvStart = 4 + ((echoed + 3) & ~3);
    if (tlvStart <= payload.length) kernelMessage = new AttrMap(payload, tlvStart).str(NLMSGERR_ATTR_MSG);
  }
  return { errno, kernelMessage: kernelMessage || undefined };
}

/** Native failures (send/recv/timeouts) get the operation's name too. */
function wrapNative(operation: string, error: unknown): unknown {
  return isNativeError(error) ? new LinuxError(operation, error.errno, undefined, error) : error;
}
