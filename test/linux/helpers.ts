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
