/**
 * networkdb-node's entry point: start a NetworkDB node, join the seeds,
 * serve the control surface, and leave the cluster gracefully on SIGTERM or
 * SIGINT (kill -9 is the way to make it fail).
 */
import { readCommandLine } from "../cmdline/index.js";
import { stderrLogger } from "../log/index.js";
import { NetworkDB } from "../networkdb/index.js";
import { createControlServer } from "./http-server.js";
import { parseNodeArgs, USAGE, type NodeOptions } from "./options.js";

async function start(options: NodeOptions): Promise<void> {
  const log = stderrLogger(options.logLevel);
  const db = await NetworkDB.create({
    ...(options.nodeName !== "" ? { nodeId: options.nodeName } : {}),
    bindAddr: options.bindAddr,
    bindPort: options.port,
    advertiseAddr: options.advertiseAddr,
    keys: [...options.keys],
    gossipInterval: options.gossipInterval,
    directFanout: options.directFanout,
    tableRetransmitMult: options.tableRetransmitMult,
    memberlist: {
      probeInterval: options.probeInterval,
      probeTimeout: options.probeTimeout,
      suspicionMult: options.suspicionMult,
    },
    logger: log,
  });
  const server = createControlServer(db, () => db.memberlist.localNode().addr);
  const httpPort = await server.listen(options.httpAddr, options.httpPort);
  // One line a parent process can wait for; it carries the ports chosen when 0 was asked.
  process.stdout.write(
    `${JSON.stringify({ ready: true, node: db.nodeId, addr: db.memberlist.localNode().addr, port: db.port, httpPort })}\n`,
  );
  if (options.join.length > 0) {
    try {
      await db.join(options.join);
    } catch (err) {
      // As a Go node started with seeds that are not up yet: keep running, /join can be asked later.
      log.warn(`join ${options.join.join(",")}: ${(err as Error).message}`);
    }
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: leaving the cluster`);
    Promise.allSettled([server.close(), db.close()]).then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const options = readCommandLine("networkdb-node", USAGE, () => parseNodeArgs(argv));
  if (options === undefined) return;
  try {
    await start(options);
  } catch (err) {
    process.stderr.write(`networkdb-node: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
