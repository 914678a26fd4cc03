// The quick-start demo: a bridge network, two sandboxes that reach each
// other, and a published port reaching a listener inside one of them. Every
// step is printed; everything is removed at the end, even on failure.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { createLinuxController, type Controller } from "../src/index.js";

const run = promisify(execFile);
const step = (n: number, text: string) => console.log(`\n[${n}] ${text}`);
const ok = (text: string) => console.log(`    ok: ${text}`);

function nsName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1);
}

async function timed<T>(work: () => Promise<T>): Promise<[T, string]> {
  const t0 = performance.now();
  const result = await work();
  return [result, `${(performance.now() - t0).toFixed(1)} ms`];
}

/** An HTTP server inside the sandbox (a real process in its namespace). */
async function startWebServer(key: string): Promise<ChildProcess> {
  const code = `require("http").createServer((q, s) => s.end("hello from the web sandbox\\n")).listen(80, () => console.log("up"))`;
  const child = spawn("ip", ["netns", "exec", nsName(key), process.execPath, "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (c) => reject(new Error(`web server exited with ${c}`)));
  });
  return child;
}

async function httpGet(url: string, inNamespace?: string): Promise<string> {
  const code = `fetch(process.argv[1]).then((r) => r.text()).then((t) => process.stdout.write(t))`;
  const cmd = inNamespace ? ["ip", "netns", "exec", inNamespace, process.execPath] : [process.execPath];
  const { stdout } = await run(cmd[0]!, [...cmd.slice(1), "-e", code, url], { timeout: 5000 });
  return stdout.trim();
}

async function demo(c: Controller): Promise<void> {
  step(1, "create a bridge network 'demo-net' (IPAM picks a free subnet)");
  const [net, t1] = await timed(() => c.createNetwork({ name: "demo-net" }));
  ok(`network ${net.id.slice(0, 12)} on ${net.ipv4[0]?.pool}, gateway ${net.ipv4[0]?.gateway} (${t1})`);

  step(2, "create two sandboxes: 'web' publishing port 80 on host port 8080, and 'client'");
  const web = await c.createSandbox({ name: "web", portBindings: [{ proto: "tcp", containerPort: 80, hostPort: 8080 }] });
  const client = await c.createSandbox({ name: "client" });
  ok(`namespaces ${nsName(web.sandbox.key)} and ${nsName(client.sandbox.key)}`);

  step(3, "connect both sandboxes to the network");
  const [webEp, t3a] = await timed(() => c.connect("demo-net", "web"));
  const [clientEp, t3b] = await timed(() => c.connect("demo-net", "client"));
  ok(`web = ${webEp.endpoint.address} (${t3a}), client = ${clientEp.endpoint.address} (${t3b})`);
  const webIP = webEp.endpoint.address!.split("/")[0]!;

  step(4, `client pings web at ${webIP}`);
  const ping = await run("ip", ["netns", "exec", nsName(client.sandbox.key), "ping", "-c", "2", "-W", "1", webIP]);
  ok(ping.stdout.split("\n").find((l) => l.includes("packets transmitted")) ?? "replied");

  step(5, "start an HTTP server on port 80 inside 'web'");
  const server = await startWebServer(web.sandbox.key);
  try {
    ok("listening");
    step(6, "reach it through the published port from the host: http://127.0.0.1:8080");
    ok(await httpGet("http://127.0.0.1:8080/"));
    const gateway = net.ipv4[0]!.gateway!.split("/")[0]!;
    step(7, `and from 'client' through a host address: http://${gateway}:8080`);
    ok(await httpGet(`http://${gateway}:8080/`, nsName(client.sandbox.key)));
  } finally {
    server.kill();
  }
}

async function main(): Promise<void> {
  console.log("cnm demo: the Container Network Model on this host's kernel");
  const c = await createLinuxController({ prefix: "cnmdmo" });
  try {
    await demo(c);
  } finally {
    step(8, "clean up: sandboxes, network, firewall tables");
    await c.destroyAll();
    await c.close();
    ok("nothing left behind");
  }
  console.log("\ndemo finished");
}

main().catch((err) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
