/**
 * Reads the overlay's forwarding entries the way the kernel holds them: a
 * netlink handle in each host's overlay namespace, FDB entries of its vxlan
 * device, polled every millisecond.
 */
import { NetlinkHandle } from "../../src/linux/index.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class OverlayFdb {
  private constructor(
    private readonly handle: NetlinkHandle,
    private readonly vxlan: string,
    readonly label: string,
  ) {}

  /** Opens /run/netns/<cnmdPrefix>-ov-<first 12 hex of nid> and finds its vxlan device. */
  static open(cnmdPrefix: string, nid: string, label: string): OverlayFdb {
    const handle = NetlinkHandle.open(`/run/netns/${cnmdPrefix}-ov-${nid.slice(0, 12)}`);
    const vxlan = handle.linkList().find((l) => l.kind === "vxlan");
    if (!vxlan) {
      handle.close();
      throw new Error(`no vxlan device in the overlay namespace of ${label}`);
    }
    return new OverlayFdb(handle, vxlan.name, label);
  }

  /**
   * The MACs with a remote entry in the vxlan device's own table (what the
   * driver programs). The bridge's entries for the same port are left out:
   * those it learnt from tunnelled traffic stay until they age (300 s),
   * whatever the driver does.
   */
  macs(): Set<string> {
    const remote = this.handle.fdbList({ link: this.vxlan }).filter((e) => e.self && e.dst !== undefined);
    return new Set(remote.map((e) => e.mac.toLowerCase()));
  }

  close(): void {
    this.handle.close();
  }
}

/**
 * Polls every ~1 ms until `test` holds for every host; resolves with the
 * CLOCK_MONOTONIC time of the poll that saw the last host satisfy it, or
 * undefined after timeoutMs.
 */
export async function pollUntilAll(hosts: readonly OverlayFdb[], test: (macs: Set<string>) => boolean, timeoutMs: number, everyMs = 1): Promise<bigint | undefined> {
  const pending = new Set(hosts);
  const deadline = process.hrtime.bigint() + BigInt(timeoutMs) * 1_000_000n;
  for (;;) {
    for (const h of [...pending]) if (test(h.macs())) pending.delete(h);
    const now = process.hrtime.bigint();
    if (pending.size === 0) return now;
    if (now > deadline) return undefined;
    await sleep(everyMs);
  }
}
