/**
 * The command line that runs a program inside a named network namespace the
 * way a process on another machine would see it, while namespaces it creates
 * stay visible to everyone else.
 *
 * `ip netns exec` is not enough for cnmd: it gives the program a mount
 * namespace whose "/" is a slave of the host's, so the bind mounts that pin
 * the namespaces cnmd makes under /run/netns never propagate back. Its
 * sandboxes would be invisible from outside (`ip netns exec <sandbox>` fails)
 * and would die with the daemon, which defeats restart and purge. Here the
 * program enters only the network namespace (nsenter --net), then gets a
 * mount namespace of its own that keeps the host's propagation (so
 * /run/netns, a shared mount, stays shared with the host), in which /sys,
 * made a slave first so nothing leaks back, is remounted to show this
 * namespace's interfaces (what the program or a debugging human reads under
 * /sys/class/net is then its own host's).
 *
 * The remount is best effort (a machine with a read-only /sys still runs
 * the program, seeing the host's /sys), but sysfs is mounted only once /sys
 * is a slave, never over a /sys shared with the host.
 *
 * nsenter, unshare and sh each exec the next, so the pid a caller spawns is
 * the program's own pid: signals reach it directly.
 */
import { NETNS_RUN_DIR } from "../linux/netns.js";

const REMOUNT_SYS = '{ mount --make-rslave /sys && mount -t sysfs sysfs /sys; } 2>/dev/null; exec "$@"';

/** argv that runs `argv` inside /run/netns/<netns>. */
export function inNamespace(netns: string, argv: readonly string[]): string[] {
  if (netns.includes("/")) throw new TypeError(`invalid network namespace name "${netns}"`);
  return [
    "nsenter", `--net=${NETNS_RUN_DIR}/${netns}`, "--",
    "unshare", "--mount", "--propagation", "unchanged", "--",
    "sh", "-c", REMOUNT_SYS, "sh", ...argv,
  ];
}
