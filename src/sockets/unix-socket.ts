// Unix socket files shared by cnm's servers (the API, plugin sockets): made ready safely, removed only when ours.
import { lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { connect } from "node:net";
import { dirname } from "node:path";

/** Another process answers on the socket path: starting would steal its socket. */
export class SocketInUseError extends Error {
  constructor(readonly socketPath: string) {
    super(`another server is listening on ${socketPath}`);
    this.name = "SocketInUseError";
  }
}

/** True when something accepts connections on the path. Anything but "refused" or "gone" counts as alive. */
function answers(socketPath: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(socketPath);
    const done = (alive: boolean): void => {
      s.destroy();
      resolve(alive);
    };
    s.setTimeout(timeoutMs, () => done(true));
    s.once("connect", () => done(true));
    s.once("error", (err: NodeJS.ErrnoException) => done(err.code !== "ECONNREFUSED" && err.code !== "ENOENT"));
  });
}

/**
 * Makes the path ready to listen on: its directory exists, and a socket
 * file left by a dead process is removed. A live socket is left alone
 * (SocketInUseError), and so is anything that is not a socket.
 */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!isSocket) throw new Error(`${socketPath} exists and is not a socket; not removing it`);
  if (await answers(socketPath, 1000)) throw new SocketInUseError(socketPath);
  unlinkSync(socketPath);
}

/** The socket file's inode, to remove on close only the file this server created. */
export function socketInode(socketPath: string): number | undefined {
  try {
    const st = lstatSync(socketPath);
    return st.isSocket() ? st.ino : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export function removeSocketIfOurs(socketPath: string, inode: number | undefined): void {
  if (inode !== undefined && socketInode(socketPath) === inode) {
    try {
      unlinkSync(socketPath);
    } catch (err) {
      // Already gone is what was wanted; anything else, the caller hears of.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}
