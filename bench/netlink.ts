/**
 * Netlink attach-path benchmark: the time to create, configure and delete one
 * endpoint the way the bridge driver does, through the linux layer only (no
 * process spawned): a veth whose peer is created inside a sandbox namespace
 * and whose host end joins a bridge, up; inside the sandbox: rename to eth0,
 * MAC, MTU, up, an IPv4 and an IPv6 address, a default route; then delete.
 * A "host" namespace stands in for the host so the run leaves the real host
 * untouched. p50/p90/p99 over 200 iterations, then the same sequence with
 * `ip` commands (fewer iterations: each spawns processes) for comparison.
 * Run: node --expose-gc dist/bench/netlink.js [iterations]
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { NetlinkHandle, netns } from "../src/linux/index.js";

const gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc;
const ITERATIONS = Number(process.argv[2] ?? 200);
const IP_ITERATIONS = Math.max(5, Math.round(ITERATIONS / 10));
const prefix = "b" + randomBytes(2).toString("hex");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(samples: number[]): { p50: number; p90: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    mean: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

const hostName = `${prefix}h`;
const sandboxName = `${prefix}s`;
const hostPath = netns.create(hostName);
const sandboxPath = netns.create(sandboxName);
const host = NetlinkHandle.open(hostPath);
const sandbox = NetlinkHandle.open(sandboxPath);

try {
  host.linkAdd({ kind: "bridge", name: "br0", mtu: 1450, up: true });
  host.addrAdd("br0", "172.31.0.1/16");
  sandbox.linkSetUp("lo");
  const bridgeIndex = host.linkIndex("br0");

  /** One endpoint: 7 requests create and configure, 1 deletes. */
  const netlinkEndpoint = (i: number): { attach: number; detach: number } => {
    const t0 = performance.now();
    host.linkAdd({
      kind: "veth",
      name: "veth0",
      mtu: 1450,
      up: true,
      master: bridgeIndex,
      peerName: "tmp0",
      peerNamespace: sandboxPath,
    });
    sandbox.linkSet("tmp0", { name: "eth0", mac: `02:42:ac:1f:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:02`, up: true });
    const eth0 = sandbox.linkIndex("eth0");
    sandbox.addrAdd(eth0, "172.31.0.2/16");
    sandbox.addrAdd(eth0, "fd00:31::2/64", { noDad: true });
    sandbox.routeAdd({ gateway: "172.31.0.1" });
    const t1 = performance.now();
    host.linkDel("veth0");
    const t2 = performance.now();
    return { attach: t1 - t0, detach: t2 - t1 };
  };

  // Warm up (JIT, kernel caches), then measure.
  for (let i = 0; i < 10; i++) netlinkEndpoint(i);
  gc?.();
  const total: number[] = [];
  const attach: number[] = [];
  const detach: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const r = netlinkEndpoint(i);
    attach.push(r.attach);
    detach.push(r.detach);
    total.push(r.attach + r.detach);
    if ((i + 1) % 50 === 0) console.log(`netlink: ${i + 1}/${ITERATIONS}`);
  }
  const netlink = summary(total);
  console.log(`netlink  create+configure+delete: p50 ${netlink.p50} ms, p90 ${netlink.p90} ms, p99 ${netlink.p99} ms`);
  console.log(`         attach p50 ${summary(attach).p50} ms, delete p50 ${summary(detach).p50} ms`);

  // The same sequence through iproute2, one process per step.
  const ip = (...args: string[]): void => {
    execFileSync("ip", args, { stdio: "ignore" });
  };
  const ipEndpoint = (): number => {
    const t0 = performance.now();
    ip("-n", hostName, "link", "add", "veth0", "mtu", "1450", "master", "br0", "up", "type", "veth", "peer", "name", "tmp0", "netns", sandboxName);
    ip("-n", sandboxName, "link", "set", "tmp0", "name", "eth0", "address", "02:42:ac:1f:00:02", "up");
    ip("-n", sandboxName, "addr", "add", "172.31.0.2/16", "dev", "eth0");
    ip("-n", sandboxName, "addr", "add", "fd00:31::2/64", "dev", "eth0", "nodad");
    ip("-n", sandboxName, "route", "add", "default", "via", "172.31.0.1");
    ip("-n", hostName, "link", "del", "veth0");
    return performance.now() - t0;
  };
  const ipSamples: number[] = [];
  for (let i = 0; i < IP_ITERATIONS; i++) ipSamples.push(ipEndpoint());
  const iproute2 = summary(ipSamples);
  console.log(`ip(8)    create+configure+delete: p50 ${iproute2.p50} ms over ${IP_ITERATIONS} iterations`);

  console.log(
    JSON.stringify({
      bench: "netlink",
      iterations: ITERATIONS,
      endpoint_ms: netlink,
      attach_p50_ms: summary(attach).p50,
      delete_p50_ms: summary(detach).p50,
      iproute2_iterations: IP_ITERATIONS,
      iproute2_endpoint_p50_ms: iproute2.p50,
      speedup_p50: Math.round((iproute2.p50 / netlink.p50) * 10) / 10,
    }),
  );
} finally {
  host.close();
  sandbox.close();
  netns.delete(sandboxName, { missingOk: true });
  netns.delete(hostName, { missingOk: true });
}
