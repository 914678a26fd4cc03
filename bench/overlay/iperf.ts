/** iperf3 TCP between two network namespaces: the best of a few runs, in Gbit/s. */
import { execFileSync, spawn } from "node:child_process";
import { runCommand } from "../../src/testbed/index.js";

const PORT = 5201;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** iperf3 on PATH, installed from Debian's package (as scripts/setup.sh does) when missing; throws clearly if that fails. */
export function ensureIperf3(progress: (m: string) => void): void {
  const has = () => {
    try {
      execFileSync("sh", ["-c", "command -v iperf3"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return;
  progress("iperf3 missing: apt-get install iperf3");
  try {
    execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore" });
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "iperf3"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } catch (err) {
    throw new Error(`the throughput figure needs iperf3 and installing it failed (apt-get install iperf3): ${(err as Error).message}`);
  }
  if (!has()) throw new Error("the throughput figure needs iperf3: apt-get install iperf3 did not provide it");
}

/** One run: a one-off server in serverNs, a client in clientNs to `address`; received Gbit/s. */
export async function iperfOnce(serverNs: string, clientNs: string, address: string, seconds: number): Promise<number> {
  const server = spawn("nsenter", [`--net=${serverNs}`, "iperf3", "-s", "-1", "-p", String(PORT)], { stdio: "ignore" });
  try {
    for (let attempt = 0; ; attempt++) {
      await sleep(100);
      const r = await runCommand(["nsenter", `--net=${clientNs}`, "iperf3", "-c", address, "-p", String(PORT), "-t", String(seconds), "-J"], { timeoutMs: (seconds + 20) * 1000 });
      if (r.code === 0) {
        const report = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
        return report.end.sum_received.bits_per_second / 1e9;
      }
      // The server may not listen yet: iperf3 says "unable to connect".
      if (attempt >= 20) throw new Error(`iperf3 -c ${address} failed (${r.code}): ${r.stdout.slice(-500)} ${r.stderr.slice(-500)}`);
    }
  } finally {
    if (server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await gone;
    }
  }
}
