// UDP and TCP sockets that live in another network namespace, as Node
// objects. Node cannot create a socket in a foreign namespace, so the addon
// creates it there (setns, socket, bind, setns back) and Node adopts the fd:
// a socket keeps the namespace it was born in for its whole life.
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { Server, Socket as TcpSocket } from "node:net";
import { closeSync } from "node:fs";
import { native, isNativeError } from "./native.js";
import { LinuxError } from "./errors.js";

export type InetFamily = 4 | 6;

function openFd(
  nsPath: string | null,
  family: InetFamily,
  stream: boolean,
  address: string | null,
  port: number,
  backlog: number,
): number {
  try {
    return native().inetSocketOpen(nsPath, family, stream, address, port, backlog);
  } catch (error) {
    if (!isNativeError(error)) throw error;
    const where = `${stream ? "tcp" : "udp"} socket ${address ?? "*"}:${port}${nsPath ? ` in ${nsPath}` : ""}`;
    throw new LinuxError(where, error.errno, undefined, error);
  }
}

/** Resolves once `socket` is bound to the fd; closes the fd if adoption fails. */
function adoptUdp(fd: number, family: InetFamily): Promise<UdpSocket> {
  const socket = createSocket({ type: family === 4 ? "udp4" : "udp6" });
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      try {
        closeSync(fd);
      } catch (closeErr) {
        // EBADF: Node owned the fd already, and closed it. Anything else the caller hears of, with the first error.
        if ((closeErr as NodeJS.ErrnoException).code !== "EBADF") {
          reject(new Error(`${error.message}; closing fd ${fd} failed too: ${(closeErr as Error).message}`, { cause: error }));
          return;
        }
      }
      reject(error);
    };
    socket.once("error", fail);
    socket.bind({ fd }, () => {
      socket.off("error", fail);
      resolve(socket);
    });
  });
}

/**
 * A UDP socket in the namespace at `nsPath` (null: this one), bound to
 * `address`:`port` (port 0: any free port).
 */
export async function udpSocketIn(nsPath: string | null, family: InetFamily, address: string, port: number): Promise<UdpSocket> {
  return adoptUdp(openFd(nsPath, family, false, address, port, 0), family);
}

/** A TCP server listening on `address`:`port` in the namespace at `nsPath`. */
export async function tcpServerIn(
  nsPath: string | null,
  family: InetFamily,
  address: string,
  port: number,
  backlog: number,
  onConnection: (socket: TcpSocket) => void,
): Promise<Server> {
  const fd = openFd(nsPath, family, true, address, port, backlog);
  const server = new Server({ pauseOnConnect: false }, onConnection);
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      server.close();
      reject(error);
    };
    server.once("error", fail);
    server.listen({ fd, backlog }, () => {
      server.off("error", fail);
      resolve(server);
    });
  });
}

/**
 * A TCP connection to `host`:`port` made from inside the namespace at
 * `nsPath`. The unconnected socket is created there and Node connects it
 * (non-blocking), so routing and source address are the namespace's. Errors
 * (refused, unreachable) arrive on the returned socket's "error" event.
 */
export function tcpConnectFrom(nsPath: string, family: InetFamily, host: string, port: number): TcpSocket {
  const fd = openFd(nsPath, family, true, null, 0, 0);
  const socket = new TcpSocket({ fd, readable: true, writable: true });
  socket.connect({ host, port });
  return socket;
}
