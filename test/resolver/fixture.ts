// Shared by the resolver tests: a sandbox-like namespace (lo up), an
// optional "upstream" namespace joined to it by a veth pair on
// 198.51.100.0/24, a fake upstream DNS server written with dns-packet, and
// dig run inside the sandbox. Everything carries a unique prefix and is
// removed after the file, pass or fail.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { promisify } from "node:util";
import * as dnsPacket from "dns-packet";
import { udpSocketIn, tcpServerIn } from "../../src/linux/inet-socket.js";
import type { NameAnswer, ResolverRecords } from "../../src/resolver/index.js";

const run = promisify(execFile);

export const SANDBOX_ADDR = "198.51.100.1";
export const UPSTREAM_ADDR = "198.51.100.2";

export interface TestNamespaces {
  readonly prefix: string;
  readonly sandbox: string;
  readonly sandboxPath: string;
  /** Set when made with an upstream namespace. */
  readonly upstream: string | undefined;
  readonly upstreamPath: string | undefined;
  cleanup(): void;
}

/** "t" + 4 hex digits, as the other test areas pick theirs. */
export function uniquePrefix(): string {
  return `t${randomBytes(2).toString("hex")}`;
}

export function makeNamespaces(withUpstream: boolean): TestNamespaces {
  const prefix = uniquePrefix();
  const sandbox = `${prefix}-sbx`;
  const upstream = withUpstream ? `${prefix}-ups` : undefined;
  const made: string[] = [];
  const cleanup = (): void => {
    for (const ns of made) execFileSync("ip", ["netns", "delete", ns], { stdio: "ignore" });
    made.length = 0;
  };
  try {
    execFileSync("ip", ["netns", "add", sandbox]);
    made.push(sandbox);
    execFileSync("ip", ["-n", sandbox, "link", "set", "lo", "up"]);
    if (upstream !== undefined) {
      execFileSync("ip", ["netns", "add", upstream]);
      made.push(upstream);
      execFileSync("ip", ["-n", upstream, "link", "set", "lo", "up"]);
      execFileSync("ip", ["link", "add", `${prefix}-a`, "netns", sandbox, "type", "veth", "peer", `${prefix}-b`, "netns", upstream]);
      execFileSync("ip", ["-n", sandbox, "addr", "add", `${SANDBOX_ADDR}/24`, "dev", `${prefix}-a`]);
      execFileSync("ip", ["-n", upstream, "addr", "add", `${UPSTREAM_ADDR}/24`, "dev", `${prefix}-b`]);
      execFileSync("ip", ["-n", sandbox, "link", "set", `${prefix}-a`, "up"]);
      execFileSync("ip", ["-n", upstream, "link", "set", `${prefix}-b`, "up"]);
    }
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    prefix,
    sandbox,
    sandboxPath: `/run/netns/${sandbox}`,
    upstream,
    upstreamPath: upstream && `/run/netns/${upstream}`,
    cleanup,
  };
}

/** Records from a plain table, as the controller would give them. */
export function tableRecords(names: Record<string, NameAnswer>, ptr: Record<string, string[]> = {}): ResolverRecords {
  return {
    lookupName: (name) => names[name],
    lookupAddress: (ip) => ptr[ip],
  };
}

export interface DigResult {
  readonly status: string;
  readonly flags: string[];
  /** Answer section lines: "name ttl class type data", whitespace collapsed. */
  readonly answers: string[];
  readonly output: string;
}

/** dig inside the namespace (async: the resolver under test runs in this process). */
export async function dig(ns: string, args: string[]): Promise<DigResult> {
  const { stdout } = await run("ip", ["netns", "exec", ns, "dig", "+time=3", "+tries=1", "@127.0.0.11", ...args], { timeout: 20_000 });
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? "NONE";
  const flags = (/;; flags: ([^;]*);/.exec(stdout)?.[1] ?? "").trim().split(/\s+/);
  const answers: string[] = [];
  let inAnswer = false;
  for (const line of stdout.split("\n")) {
    if (line.startsWith(";; ANSWER SECTION:")) inAnswer = true;
    else if (inAnswer && line.trim() === "") inAnswer = false;
    else if (inAnswer) answers.push(line.trim().split(/\s+/).join(" "));
  }
  return { status, flags, answers, output: stdout };
}

/** What the fake upstream does with a decoded query: a reply, or undefined to stay silent. */
export type UpstreamBehaviour = (query: dnsPacket.Packet, overTcp: boolean) => dnsPacket.Packet | undefined;

export interface FakeUpstream {
  readonly port: number;
  readonly udpQueries: number;
  readonly tcpQueries: number;
  close(): Promise<void>;
}

/** A reply to `query` with `answers`; `rcode` as a number (dns-packet encodes it from the flags' low bits). */
export function replyTo(query: dnsPacket.Packet, answers: dnsPacket.Answer[], flags = 0, rcode = 0): dnsPacket.Packet {
  return {
    id: query.id,
    type: "response",
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | flags | rcode,
    questions: query.questions,
    answers,
  } as dnsPacket.Packet;
}

/**
 * A DNS server on UDP and TCP `port` (0: random for both... the UDP one's)
 * at `address`, in `nsPath` or, when null, in the host's namespace.
 */
export async function startUpstream(nsPath: string | null, address: string, port: number, behaviour: UpstreamBehaviour): Promise<FakeUpstream> {
  // A random UDP port's TCP twin may be someone else's on the host's loopback (another
  // test's connection): pick another random port then, as only port 0 allows.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startUpstreamOnce(nsPath, address, port, behaviour);
    } catch (err) {
      if (port !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
}

async function startUpstreamOnce(nsPath: string | null, address: string, port: number, behaviour: UpstreamBehaviour): Promise<FakeUpstream> {
  let udpQueries = 0;
  let tcpQueries = 0;
  const udp: UdpSocket =
    nsPath === null
      ? await new Promise<UdpSocket>((resolve) => {
          const s = createSocket("udp4");
          s.bind(port, address, () => resolve(s));
        })
      : await udpSocketIn(nsPath, 4, address, port);
  const boundPort = udp.address().port;
  udp.on("message", (msg, from) => {
    udpQueries++;
    const reply = behaviour(dnsPacket.decode(msg), false);
    if (reply) udp.send(dnsPacket.encode(reply), from.port, from.address);
  });
  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const msg = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + msg.length);
        tcpQueries++;
        const reply = behaviour(dnsPacket.decode(msg), true);
        if (reply) socket.write(dnsPacket.streamEncode(reply));
      }
    });
  };
  let tcp: Server;
  try {
    tcp =
      nsPath === null
        ? await new Promise<Server>((resolve, reject) => {
            const s = createServer(onConnection);
            s.once("error", reject);
            s.listen(boundPort, address, () => resolve(s));
          })
        : await tcpServerIn(nsPath, 4, address, boundPort, 16, onConnection);
  } catch (err) {
    await new Promise<void>((r) => udp.close(() => r()));
    throw err;
  }
  return {
    port: boundPort,
    get udpQueries() {
      return udpQueries;
    },
    get tcpQueries() {
      return tcpQueries;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
