import { readCommandLine } from "../cmdline/index.js";
import { errorText, stderrLogger } from "../log/index.js";
import { parseDaemonArgs, USAGE } from "./config.js";
import { purgeDaemon, startDaemon } from "./daemon.js";

/** cnmd's entry point: start, serve, and on SIGTERM/SIGINT stop serving without tearing anything down. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const config = readCommandLine("cnmd", USAGE, () => parseDaemonArgs(argv));
  if (config === undefined) return;
  const log = stderrLogger(config.logLevel);
  if (config.purge) {
    try {
      await purgeDaemon(config, log);
      return;
    } catch (err) {
      log.error(`purge failed: ${errorText(err)}`);
      process.exit(1);
    }
  }
  if (process.getuid?.() !== 0) log.warn("cnmd is not running as root: namespaces, links and nftables will fail");
  let daemon;
  try {
    daemon = await startDaemon(config, log);
  } catch (err) {
    log.error(`cannot start: ${errorText(err)}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping; networks and sandboxes stay up for the next start`);
    daemon.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`stop failed: ${errorText(err)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
