// The shared shape of a reference measurement, as the attach benchmark calls it.
import type { ProgressFn } from "./progress.js";

/** One attached sandbox, as a hook sees it. */
export interface AttachedSandbox {
  /** Namespace name (as in `ip netns list`). */
  netns: string;
  /** The address the tool gave eth0, "a.b.c.d/len". */
  address: string;
  /** The default gateway the sandbox should route through. */
  gateway: string;
}

export interface MeasureOptions {
  /** How many sandboxes to attach (all attached at once, then all detached). */
  n: number;
  /**
   * Prefix of every kernel object made (namespaces `<prefix>-<i>`, bridge `<prefix>br`):
   * lowercase letter then up to 10 lowercase letters or digits.
   */
  prefix: string;
  /** IPv4 subnet "a.b.c.d/len"; .1 is the gateway, sandboxes get the following addresses. */
  subnet: string;
  /** Called at every 10% of each phase; defaults to printing a line. */
  onProgress?: ProgressFn;
  /** Untimed checkpoints, for tests that want to look at the kernel themselves. */
  hooks?: {
    /** After every sandbox is attached, before any is detached. */
    afterAttach?: (sandboxes: readonly AttachedSandbox[]) => Promise<void> | void;
    /** After every sandbox is detached, before the namespaces are removed. */
    afterDetach?: (sandboxes: readonly AttachedSandbox[]) => Promise<void> | void;
  };
}

export interface MeasureResult {
  /** Attach latency of each sandbox, in order, milliseconds. */
  addMs: number[];
  /** Detach latency of each sandbox, in order, milliseconds. */
  delMs: number[];
}

/** Validates the prefix so every derived name stays under Linux's 15-character limit. */
export function checkPrefix(prefix: string): void {
  if (!/^[a-z][a-z0-9]{0,10}$/.test(prefix)) {
    throw new Error(`prefix must be a lowercase letter then up to 10 lowercase letters or digits: ${prefix}`);
  }
}
