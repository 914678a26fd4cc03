// Shared helpers for the linux tests: unique names, iproute2 JSON as an
// independent view of kernel state, and cleanup that runs even on failure.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readlinkSync } from "node:fs";
import { netns, NetlinkHandle } from "../../src/linux/index.js";

/** A short unique prefix ("t" + 4 hex chars) for names of kernel objects. */
export function uniquePrefix(): string {
  return "t" + randomBytes(2).toString("hex");
}

/** Runs `ip -j <args>` and parses its JSON. */
export function ipJson<T = Record<string, unknown>[]>(...args: string[]): T {
  const out = execFileSync("ip", ["-j", ...args], { encoding: "utf8" });
  return (out.trim() === "" ? [] : JSON.parse(out)) as T;
}

/** Runs `bridge -j <args>` and parses its JSON. */
export function bridgeJson<T = Record<string, unknown>[]>(...args: string[]): T {
  const out = execFileSync("bridge", ["-j", ...args], { encoding: "utf8" });
  return (out.trim() === "" ? [] : JSON.parse(out)) as T;
}

/** The calling thread's network namespace, e.g. "net:[4026531840]". */
export function threadNetns(): string {
  return readlinkSync("/proc/thread-self/ns/net");
}

/** Collects cleanup steps; `run()` executes them in reverse order and keeps
 * going when one fails (the object may already be gone). */
export class Cleanup {
  private readonly steps: (() => void)[] = [];

  add(step: () => void): void {
    this.steps.push(step);
  }

  /** A namespace that is deleted at cleanup. */
  netns(name: string): string {
    const path = netns.create(name);
    this.add(() => netns.delete(name, { missingOk: true }));
    return path;
  }

  /** A handle closed at cleanup. */
  handle(nsPath?: string): NetlinkHandle {
    const h = NetlinkHandle.open(nsPath);
    this.add(() => h.close());
    return h;
  }

  /** Deletes a host link at cleanup if it still exists. */
  hostLink(name: string): void {
    this.add(() => {
      try {
        execFileSync("ip", ["link", "del", name], { stdio: "ignore" });
      } catch {
        // already gone
      }
    });
  }

  run(): void {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        step();
      } catch {
        // keep cleaning
      }
    }
  }
}

// ICMP echo in Python (raw sockets, we are root): the test machine has no
// `ping` binary. Exits 0 when an echo reply for our identifier arrives.
const ICMP_ECHO_SCRIPT = `
import os, select, socket, struct, sys, time
target = sys.argv[1]
v6 = ":" in target
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                  socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
ident = os.getpid() & 0xffff
def checksum(b):
    total = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    total = (total >> 16) + (total & 0xffff)
    total += total >> 16
    return ~total & 0xffff
payload = b"cnm-echo"
request_type, reply_type = (128, 129) if v6 else (8, 0)
packet = struct.pack("!BBHHH", request_type, 0, 0, ident, 1) + payload
if not v6:  # the kernel fills in the ICMPv6 checksum itself
    packet = struct.pack("!BBHHH", request_type, 0, checksum(packet), ident, 1) + payload
s.sendto(packet, (target, 0))
deadline = time.time() + 2
while time.time() < deadline:
    ready, _, _ = select.select([s], [], [], max(0, deadline - time.time()))
    if not ready:
        break
    data, _ = s.recvfrom(2048)
    if not v6:
        data = data[(data[0] & 0xF) * 4:]
    kind, _, _, rid, _ = struct.unpack("!BBHHH", data[:8])
    if kind == reply_type and rid == ident:
        sys.exit(0)
sys.exit(1)
`;

/** Sends one ICMP echo from inside namespace `ns`; true when answered. */
export function icmpEcho(ns: string, target: string): boolean {
  try {
    execFileSync("ip", ["netns", "exec", ns, "python3", "-c", ICMP_ECHO_SCRIPT, target], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
