import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { promisify } from "node:util";
import { after, before } from "node:test";
import { createLinuxController, type Controller } from "../../src/index.js";

const run = promisify(execFile);

/** A prefix no other test or daemon uses: "t" + 4 hex digits (kernel names stay under 15 bytes). */
export function uniquePrefix(): string {
  return `t${randomBytes(2).toString("hex")}`;
}

export async function newController(prefix: string): Promise<Controller> {
  return createLinuxController({ prefix, runDir: `/run/cnm-test/${prefix}` });
}

/**
 * A controller for one test file: made before its tests, torn down after them
 * (and every kernel object with its prefix swept), pass or fail.
 */
export function controllerFixture(): { readonly prefix: string; readonly c: Controller } {
  const prefix = uniquePrefix();
  let controller: Controller | undefined;
  before(async () => {
    controller = await newController(prefix);
  });
  after(async () => {
    try {
      await controller?.destroyAll();
      await controller?.close();
    } finally {
      sweep(prefix);
    }
  });
  return {
    prefix,
    get c(): Controller {
      if (!controller) throw new Error("the controller fixture is used before its before() hook ran");
      return controller;
    },
  };
}

/**
 * Removes every kernel object carrying the prefix, whatever state a failed
 * test left: namespaces, links, nftables tables. Runs after destroyAll, so
 * on success it finds nothing.
 */
export function sweep(prefix: string): void {
  for (const ns of execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n")) {
    const name = ns.split(" ")[0];
    if (name && name.startsWith(`${prefix}-`)) execFileSync("ip", ["netns", "delete", name]);
  }
  for (const link of leftoverLinks(prefix)) {
    try {
      execFileSync("ip", ["link", "delete", link], { stdio: "ignore" });
    } catch {
      // A veth end disappears with its peer.
    }
  }
  for (const t of leftoverTables(prefix)) execFileSync("nft", ["delete", "table", ...t.split(" ")]);
  rmSync(`/run/cnm-test/${prefix}`, { recursive: true, force: true });
}

/**
 * Links with the prefix, after giving the kernel up to `waitMs` to finish
 * tearing down the veth pairs of destroyed namespaces (it does so in the
 * background, a few milliseconds after the namespace goes).
 */
export async function settledLeftoverLinks(prefix: string, waitMs = 3000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const links = leftoverLinks(prefix);
    if (links.length === 0 || Date.now() > deadline) return links;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function leftoverNamespaces(prefix: string): string[] {
  return execFileSync("ip", ["netns", "list"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${prefix}-`));
}

export function leftoverLinks(prefix: string): string[] {
  const links = JSON.parse(execFileSync("ip", ["-j", "link", "show"], { encoding: "utf8" })) as { ifname: string }[];
  return links.map((l) => l.ifname).filter((n) => n.startsWith(prefix));
}

export function leftoverTables(prefix: string): string[] {
  return execFileSync("nft", ["list", "tables"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.replace(/^table /, "").trim())
    .filter((t) => t.split(" ")[1] === prefix);
}

/** Runs a command inside a sandbox's namespace. */
export async function inSandbox(nsPath: string, cmd: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string }> {
  const name = nsPath.slice(nsPath.lastIndexOf("/") + 1);
  try {
    const { stdout } = await run("ip", ["netns", "exec", name, ...cmd], { timeout: timeoutMs });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "" };
  }
}

/** True when one ICMP echo from the sandbox to ip is answered within a second. */
export async function canPing(nsPath: string, ip: string): Promise<boolean> {
  return (await inSandbox(nsPath, ["ping", "-c", "1", "-W", "1", ip])).code === 0;
}

export function plain(cidr: string | undefined): string {
  if (!cidr) throw new Error("no address");
  return cidr.split("/")[0]!;
}

const SERVER = `
const [proto, port, reply] = process.argv.slice(1);
if (proto === "tcp") {
  require("net").createServer((s) => { s.end(reply); }).listen(Number(port), "0.0.0.0", () => console.log("ready"));
} else {
  const u = require("dgram").createSocket("udp4");
  u.on("message", (m, r) => u.send(reply, r.port, r.address));
  u.bind(Number(port), "0.0.0.0", () => console.log("ready"));
}`;

/** A listener inside the sandbox answering every TCP connection or UDP datagram with `reply`. */
export async function startListener(nsPath: string, proto: "tcp" | "udp", port: number, reply: string): Promise<ChildProcess> {
  const name = nsPath.slice(nsPath.lastIndexOf("/") + 1);
  const child = spawn("ip", ["netns", "exec", name, process.execPath, "-e", SERVER, proto, String(port), reply], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`listener exited with ${code}`)));
  });
  return child;
}

const CLIENT = `
const [proto, host, port] = process.argv.slice(1);
const done = (s) => { process.stdout.write(s); process.exit(0); };
setTimeout(() => done("timeout"), 2000);
if (proto === "tcp") {
  const c = require("net").connect(Number(port), host);
  let data = ""; c.on("data", (d) => (data += d)); c.on("end", () => done(data)); c.on("error", (e) => done("error " + e.code));
} else {
  const u = require("dgram").createSocket(host.includes(":") ? "udp6" : "udp4");
  u.on("message", (m) => done(String(m)));
  u.send("ping", Number(port), host);
}`;

/** Connects (from the sandbox, or from the host when nsPath is undefined) and returns what the listener said. */
export async function fetchReply(nsPath: string | undefined, proto: "tcp" | "udp", host: string, port: number): Promise<string> {
  const args = [process.execPath, "-e", CLIENT, proto, host, String(port)];
  if (nsPath === undefined) return (await run(args[0]!, args.slice(1), { timeout: 5000 })).stdout;
  return (await inSandbox(nsPath, args, 5000)).stdout;
}
