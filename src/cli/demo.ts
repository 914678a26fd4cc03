// `cnm demo`: the quick tour against a running daemon, through the same API
// every other command uses. A bridge network, two sandboxes reaching each
// other, and a published port reaching an HTTP server inside one of them from
// the host (127.0.0.1) and from the other sandbox (the gateway address).
// Everything it makes carries a random tag and is removed at the end, also
// on failure and on Ctrl-C.

import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { UsageError } from "../cmdline/index.js";
import { stringFlag } from "./args.js";
import type { ApiNetwork, ApiNetworkCreated, ApiSandbox, ApiSandboxCreated } from "./api-types.js";
import { ApiError, type ApiClient, seg } from "./client.js";
import type { Command } from "./command.js";
import { DemoRunner, Interrupted } from "./demo-runner.js";
import { execCaptured, spawnInNetns, waitExit } from "./netns-exec.js";
import { errorText } from "../log/index.js";

const CONTAINER_PORT = 80;

export const demoCommand: Command = {
  path: ["demo"],
  usage: "[OPTIONS]",
  summary: "Show cnm at work: a network, two sandboxes, ping, and a published port (cleans up after itself)",
  minArgs: 0,
  maxArgs: 0,
  flags: [{ name: "port", type: "string", valueName: "int", description: "Host port to publish (default: a free one)" }],
  async run(ctx, args) {
    const portText = stringFlag(args, "port");
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
      throw new UsageError(`invalid --port "${portText}": expected 1-65535`);
    }
    const runner = new DemoRunner(ctx.io);
    const onSignal = (signal: NodeJS.Signals) => runner.interrupt(signal);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    ctx.io.out(`cnm demo against ${ctx.client().host.url}`);
    let exitCode = 0;
    try {
      await tour(ctx.client(), runner, port ?? (await freePort()));
      ctx.io.out(`demo succeeded`);
    } catch (err) {
      exitCode = err instanceof Interrupted ? 130 : 1;
      if (!(err instanceof Interrupted)) ctx.io.err(`cnm: demo failed: ${errorText(err)}`);
    } finally {
      // A second Ctrl-C during cleanup should not leave things half removed:
      // the handlers stay until cleanup is done (interrupt() ignores repeats).
      if (!(await runner.cleanup())) exitCode = exitCode || 1;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    ctx.io.out(`total ${runner.elapsed()}`);
    return exitCode;
  },
};

async function tour(api: ApiClient, run: DemoRunner, hostPort: number): Promise<void> {
  const tag = randomBytes(2).toString("hex");
  const netName = `cnm-demo-${tag}`;
  const webName = `demo-web-${tag}`;
  const clientName = `demo-client-${tag}`;

  // Cleanups are registered before each create, so a create whose answer
  // never came back is still undone (deleting what does not exist is fine).
  run.onCleanup(`remove network ${netName}`, () => ignoreNotFound(api.delete(`/networks/${seg(netName)}`)));
  const net = await run.step(`create bridge network ${netName} (IPAM picks a free subnet)`, async () => {
    const { Id } = await api.post<ApiNetworkCreated>("/networks/create", { Name: netName, Driver: "bridge" });
    const n = await api.get<ApiNetwork>(`/networks/${Id}`);
    const cfg = n.IPAM?.Config?.[0];
    return [n, `id ${Id.slice(0, 12)}, subnet ${cfg?.Subnet}, gateway ${cfg?.Gateway}`];
  });
  const gateway = net.IPAM?.Config?.[0]?.Gateway;
  if (!gateway) throw new Error(`network ${netName} has no IPv4 gateway`);

  run.onCleanup(`remove sandbox ${webName}`, () => ignoreNotFound(api.delete(`/sandboxes/${seg(webName)}`)));
  await run.step(`create sandbox ${webName} publishing host port ${hostPort} -> ${CONTAINER_PORT}/tcp`, async () => {
    const body = { Name: webName, NetworkMode: "none", PortBindings: { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: "", HostPort: String(hostPort) }] } };
    const { Id } = await api.post<ApiSandboxCreated>("/sandboxes/create", body);
    return [Id, `id ${Id.slice(0, 12)}`];
  });
  run.onCleanup(`remove sandbox ${clientName}`, () => ignoreNotFound(api.delete(`/sandboxes/${seg(clientName)}`)));
  await run.step(`create sandbox ${clientName}`, async () => {
    const { Id } = await api.post<ApiSandboxCreated>("/sandboxes/create", { Name: clientName, NetworkMode: "none" });
    return [Id, `id ${Id.slice(0, 12)}`];
  });

  const joined: Record<string, ApiSandbox> = {};
  for (const name of [webName, clientName]) {
    joined[name] = await run.step(`connect ${name} to ${netName}`, async () => {
      await api.post(`/networks/${seg(netName)}/connect`, { Container: name, EndpointConfig: {} });
      const sb = await api.get<ApiSandbox>(`/sandboxes/${seg(name)}`);
      const ep = sb.Networks?.[netName];
      if (!ep?.IPAddress) throw new Error(`${name} has no address on ${netName}`);
      return [sb, `${ep.IPAddress}/${ep.IPPrefixLen}, gateway ${ep.Gateway}, namespace ${sb.Key}`];
    });
  }
  const web = joined[webName]!;
  const client = joined[clientName]!;
  const webIP = web.Networks![netName]!.IPAddress!;
  const clientIP = client.Networks![netName]!.IPAddress!;

  for (const [from, to, ip] of [[client, webName, webIP], [web, clientName, clientIP]] as const) {
    await run.step(`${from.Name} pings ${to} at ${ip}`, async () => {
      const r = await execCaptured(from.Key, ["ping", "-c", "2", "-W", "1", ip], 10_000, run.signal);
      if (r.exitCode !== 0) throw new Error(`ping exited with ${r.exitCode}: ${(r.stdout + r.stderr).trim().split("\n").pop()}`);
      return [r, summarizePing(r.stdout)];
    });
  }

  const server = await run.step(`start an HTTP server on port ${CONTAINER_PORT} inside ${webName}`, async () => {
    const child = await startServer(web.Key, run.signal);
    return [child, `pid ${child.pid}`];
  });
  run.onCleanup(`stop the HTTP server in ${webName}`, async () => {
    server.kill();
    await waitExit(server);
  });

  await run.step(`the host reaches it through the published port: http://127.0.0.1:${hostPort}/`, async () => {
    const res = await fetch(`http://127.0.0.1:${hostPort}/`, { signal: AbortSignal.any([AbortSignal.timeout(5000), run.signal]) });
    const text = (await res.text()).trim();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
    return [text, `HTTP ${res.status}: "${text}"`];
  });

  const url = `http://${gateway}:${hostPort}/`;
  await run.step(`${clientName} reaches it through the gateway: ${url}`, async () => {
    const code = `fetch(process.argv[1],{signal:AbortSignal.timeout(5000)}).then(async(r)=>{process.stdout.write(r.status+" "+(await r.text()));process.exit(r.ok?0:1)})`;
    const r = await execCaptured(client.Key, [process.execPath, "-e", code, url], 10_000, run.signal);
    if (r.exitCode !== 0) throw new Error(`fetch from ${clientName} failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split("\n").pop()}`);
    const [status, ...body] = r.stdout.trim().split(" ");
    return [r, `HTTP ${status}: "${body.join(" ")}"`];
  });
}

/** A small HTTP server run by this node binary inside the namespace; resolves once it listens. */
async function startServer(key: string, signal: AbortSignal): Promise<ChildProcess> {
  const code =
    `require("http").createServer((q,s)=>s.end("hello from "+process.argv[1]+"\\n"))` +
    `.listen(${CONTAINER_PORT},()=>console.log("listening"))`;
  const child = await spawnInNetns(key, [process.execPath, "-e", code, "the web sandbox"], ["ignore", "pipe", "pipe"]);
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("the server did not start within 10 s")), 10_000);
    const onAbort = () => fail(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    const fail = (err: Error) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      child.kill("SIGKILL");
      reject(err);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    child.stdout!.once("data", () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    child.once("exit", (c) => fail(new Error(`the server exited with ${c}: ${stderr.trim().split("\n").pop() ?? ""}`)));
  });
  return child;
}

/** "2 packets transmitted, 2 received, 0% packet loss; rtt min/avg/max/mdev = ..." */
function summarizePing(stdout: string): string {
  const lines = stdout.split("\n");
  const counts = lines.find((l) => l.includes("packets transmitted"));
  const rtt = lines.find((l) => l.startsWith("rtt") || l.startsWith("round-trip"));
  return [counts, rtt].filter(Boolean).join("; ") || "replied";
}

async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
}

/** A TCP port nothing listens on right now (the kernel picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "0.0.0.0", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}
