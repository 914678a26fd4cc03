// Netlink multicast notifications (link, address, route, neighbour changes;
// nftables changes on NETLINK_NETFILTER). A native thread blocks on the
// socket and hands each datagram to the event loop, so listening costs
// nothing while nothing happens.
import { native, type NativeSubscriptionHandle } from "./native.js";
import { NetlinkSocket } from "./netlink/socket.js";
import { splitMessages, type NlMessage } from "./netlink/message.js";

export interface SubscriptionOptions {
  /** NETLINK_ROUTE, NETLINK_NETFILTER... */
  protocol: number;
  /** Multicast groups (RTNLGRP_LINK, RTNLGRP_NEIGH, ...). */
  groups: number[];
  /** Listen inside the namespace at this path. */
  nsPath?: string;
  /** Socket buffer; a burst larger than this loses messages (reported to
   * onError as ENOBUFS). Default 4 MiB. */
  receiveBufferBytes?: number;
  /** Keep the process alive while subscribed. Default true. */
  keepAlive?: boolean;
  /** Called for every message received. */
  onMessage(message: NlMessage): void;
  /** Receive errors. ENOBUFS means messages were lost: resynchronise with a
   * dump. Default: ignore. */
  onError?(error: Error): void;
}

export class NetlinkSubscription {
  private handle: NativeSubscriptionHandle | undefined;

  private constructor(private readonly socket: NetlinkSocket) {}

  static open(options: SubscriptionOptions): NetlinkSubscription {
    const socketOptions = {
      groups: options.groups,
      receiveBufferBytes: options.receiveBufferBytes ?? 4 * 1024 * 1024,
      timeoutMs: 0,
      ...(options.nsPath === undefined ? {} : { nsPath: options.nsPath }),
    };
    const socket = NetlinkSocket.open(options.protocol, socketOptions);
    const subscription = new NetlinkSubscription(socket);
    try {
      subscription.handle = native().subscribe(
        socket.fd,
        (error, datagram) => {
          if (subscription.handle === undefined) return; // closed: late delivery
          if (error) options.onError?.(error);
          else if (datagram) for (const message of splitMessages(datagram)) options.onMessage(message);
        },
        options.keepAlive ?? true,
      );
    } catch (error) {
      socket.close();
      throw error;
    }
    return subscription;
  }

  /** Stops the reader thread and closes the socket; idempotent. */
  close(): void {
    const handle = this.handle;
    if (handle === undefined) return;
    this.handle = undefined;
    native().unsubscribe(handle);
    this.socket.close();
  }
}
