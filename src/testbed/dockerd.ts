/**
 * One real dockerd (Debian's docker.io 20.10), optionally in a testbed host's
 * network namespace, isolated from every other dockerd on the machine:
 *
 *   const dockerd = new DockerdProcess({ dir, netns: host.netns });
 *   await dockerd.start();                      // answers GET /_ping
 *   await dockerd.docker(["run", "--rm", "cnm-busybox:1", "true"]);
 *   await dockerd.close();                      // nothing of it left
 *
 * Each dockerd gets a "machine" of its own that outlives its restarts: a
 * holder process (tini) that is PID 1 of a new PID namespace and lives in a
 * new, private mount namespace, in the host's network namespace (or a new
 * one). There:
 *  - /run is a fresh tmpfs, so the paths dockerd fixes under it
 *    (/run/docker/plugins for plugin sockets, /run/docker/libnetwork for the
 *    setkey hook, /run/containerd) are its own. /run/containerd being empty,
 *    dockerd starts a containerd of its own there (a shared containerd outside
 *    could not reach this private exec root, where runc's prestart hook runs).
 *  - /run/docker/plugins is a bind mount of `pluginDir`, a directory on disk,
 *    so a cnmd running outside can put cnm.sock there.
 *  - /sys is remounted to show the network namespace's interfaces, with
 *    the cgroup mounts moved back under it (dockerd needs them).
 *  - mounts are private: none propagates back to the machine's own /run.
 * dockerd is started into that machine with nsenter (net, mount, pid). When
 * close() kills the holder, the kernel kills everything in its PID namespace
 * (containerd, shims, containers in nested namespaces), and the mount
 * namespace with every mount dockerd made (overlays, netns files) goes with
 * the last of them: nothing to unmount from outside.
 *
 * nsenter --pid forks and does not forward signals, so stop() and kill()
 * signal dockerd itself (nsenter's child), and nsenter exits with it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, rmdirSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { EngineClient, type EngineVersion } from "../engines/docker/engine-client.js";
import { NETNS_RUN_DIR } from "../linux/netns.js";
import { runCommand, type ExecResult, type RunOptions } from "./process-run.js";
import type { TestbedHost } from "./testbed-host.js";

export const DOCKERD_BIN = "/usr/sbin/dockerd";
/** Debian's CLI matching dockerd 20.10 (/usr/local/bin/docker may be another, newer one). */
export const DOCKER_CLI = "/usr/bin/docker";

export interface DockerdOptions {
  /** This dockerd's directory: data root, API socket, log. Made if missing. Keep it short: the socket lives in it. */
  readonly dir: string;
  /** The directory dockerd sees as /run/docker/plugins. Default <dir>/plugins. */
  readonly pluginDir?: string;
  /**
   * Run inside this named network namespace (a testbed host's). Without one,
   * dockerd gets a new network namespace of its own (only lo): never the
   * machine's, where its docker0, iptables rules and ip_forward would outlive it.
   */
  readonly netns?: string;
  /** More dockerd arguments (--dns 10.99.0.1, --log-level debug, ...). */
  readonly extraArgs?: readonly string[];
  /**
   * --storage-driver. Default: dockerd's own choice, which is overlay2 where
   * the data root's filesystem carries it (ext4, xfs: measured here, a
   * container runs in ~0.4 s) and vfs where nothing else works (an overlayfs
   * root, as in a container: a full copy per layer, ~0.8 s a run for
   * busybox). Either leaves nothing mounted outside: the overlays live in the
   * machine's mount namespace and go with it.
   */
  readonly storageDriver?: string;
  /** How long start() waits for GET /_ping. Default 60 s. */
  readonly readyTimeoutMs?: number;
  /** Told about waits longer than 2 s. */
  readonly onProgress?: (message: string) => void;
}

const STOP_GRACE_MS = 15_000;
const PROGRESS_AFTER_MS = 2_000;

/** What the holder does in its fresh namespaces ($1: the plugin dir), before it becomes tini. */
const MACHINE_SETUP = [
  "set -e",
  "ip link set lo up",
  "mount -t tmpfs -o mode=755 cnm-dockerd-run /run",
  "mkdir -p /run/docker/plugins",
  'mount --bind "$1" /run/docker/plugins',
  // A sysfs mounted now shows this network namespace's interfaces; the cgroup mounts under /sys are kept.
  "mkdir /run/cgroup && mount --rbind /sys/fs/cgroup /run/cgroup",
  "mount -t sysfs sysfs /sys && mount --move /run/cgroup /sys/fs/cgroup && rmdir /run/cgroup",
  "echo ready",
  "exec tini -s -- sleep infinity",
].join("\n");

/**
 * PIDs 1 of the machines not closed yet: killed when this process exits
 * without closing them (a test file that failed and was made to exit), so
 * dockerd, containerd and containers do not outlive it.
 */
const machinesAlive = new Set<number>();
process.on("exit", () => {
  for (const pid of machinesAlive) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
});

/**
 * The cnmd flags that make a testbed host's cnmd the plugin of the dockerd
 * DockerdProcess.inHost gives that host: its socket where that dockerd looks,
 * that dockerd's API followed, and (with `dns`) names answered on the host's
 * address, for a dockerd started with `--dns <host address>`.
 */
export function cnmdDockerArgs(host: TestbedHost, options: { dns?: boolean } = {}): string[] {
  const hostDir = dirname(host.dataRoot);
  return [
    "--docker-plugin-socket", join(hostDir, "plugins", "cnm.sock"),
    "--docker-host", `unix://${join(hostDir, "docker", "docker.sock")}`,
    ...(options.dns ? ["--docker-dns", host.address] : []),
  ];
}

export class DockerdProcess {
  readonly dir: string;
  readonly dataRoot: string;
  readonly socket: string;
  readonly logPath: string;
  readonly pluginDir: string;
  /** Containers' cgroups go under /<cgroupParent> in each hierarchy (removed by close()). */
  readonly cgroupParent = `cnm-dockerd-${randomBytes(4).toString("hex")}`;
  readonly client: EngineClient;
  private holder: ChildProcess | undefined;
  private holderInit: number | undefined;
  private pidNamespace: string | undefined;
  private nsenter: ChildProcess | undefined;
  private dockerdPid: number | undefined;
  private madeDir = false;
  private closing: Promise<void> | undefined;

  constructor(readonly options: DockerdOptions) {
    this.dir = options.dir;
    this.dataRoot = join(this.dir, "data");
    this.socket = join(this.dir, "docker.sock");
    this.logPath = join(this.dir, "dockerd.log");
    this.pluginDir = options.pluginDir ?? join(this.dir, "plugins");
    // sun_path holds 108 bytes with its NUL; dockerd's error for a longer one comes late and says little.
    if (Buffer.byteLength(this.socket) > 107) throw new RangeError(`dockerd's socket path is too long for a unix socket (${this.socket}): choose a shorter dir`);
    this.client = new EngineClient(`unix://${this.socket}`);
  }

  /**
   * A dockerd for a testbed host, in its network namespace, beside its cnmd:
   * <host dir>/docker holds its state, and <host dir>/plugins is its
   * /run/docker/plugins (where that host's cnmd can put cnm.sock). Close it
   * before the testbed: the testbed does not know it.
   */
  static inHost(host: TestbedHost, options: Omit<DockerdOptions, "dir" | "netns" | "pluginDir"> = {}): DockerdProcess {
    const hostDir = dirname(host.dataRoot); // a TestbedHost keeps its data root, socket and log in its directory
    return new DockerdProcess({ ...options, dir: join(hostDir, "docker"), pluginDir: join(hostDir, "plugins"), netns: host.netns });
  }

  /** unix://<socket>, for DOCKER_HOST or `docker -H`. */
  get url(): string {
    return `unix://${this.socket}`;
  }

  /** dockerd's pid as this (the caller's) PID namespace numbers it, while it runs: `nsenter --target <pid> --mount` sees what it sees. */
  get pid(): number | undefined {
    return this.dockerdPid;
  }

  get running(): boolean {
    return this.nsenter !== undefined;
  }

  /** Starts dockerd (and its machine, the first time); resolves when GET /_ping answers. */
  async start(): Promise<void> {
    if (this.closing) throw new Error(`dockerd in ${this.dir} is closed`);
    if (this.nsenter) throw new Error(`dockerd in ${this.dir} is already running`);
    const started = Date.now();
    if (!existsSync(this.dir)) {
      mkdirSync(this.dir, { recursive: true });
      this.madeDir = true;
    }
    mkdirSync(this.dataRoot, { recursive: true });
    mkdirSync(this.pluginDir, { recursive: true });
    if (this.holderInit === undefined) {
      try {
        await this.startMachine();
      } catch (err) {
        await this.stopMachine().catch(() => {}); // the first error is the one to tell
        throw err;
      }
    }
    const logFd = openSync(this.logPath, "a");
    let child: ChildProcess;
    try {
      writeSync(logFd, `--- testbed: starting dockerd at ${new Date().toISOString()}\n`);
      const argv = [
        "nsenter", `--target=${this.holderInit}`, "--net", "--mount", "--pid", "--",
        DOCKERD_BIN,
        "--data-root", this.dataRoot,
        "--exec-root", "/run/docker",
        "--pidfile", "/run/docker.pid",
        "-H", this.url,
        ...(this.options.storageDriver === undefined ? [] : ["--storage-driver", this.options.storageDriver]),
        "--cgroup-parent", `/${this.cgroupParent}`,
        ...(this.options.extraArgs ?? []),
      ];
      child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", logFd, logFd] });
    } finally {
      closeSync(logFd);
    }
    this.nsenter = child;
    let exited: string | undefined;
    child.once("exit", (code, signal) => {
      exited = signal ?? String(code);
      if (this.nsenter === child) {
        this.nsenter = undefined;
        this.dockerdPid = undefined;
      }
    });
    child.once("error", (err) => (exited = err.message));
    const timeoutMs = this.options.readyTimeoutMs ?? 60_000;
    let told = started + PROGRESS_AFTER_MS;
    for (;;) {
      if (exited !== undefined) throw new Error(`dockerd exited (${exited}) before answering:\n${this.logTail()}`);
      this.dockerdPid ??= childrenOf(child.pid!)[0];
      if (this.dockerdPid !== undefined && (await this.answers())) return;
      if (Date.now() - started > timeoutMs) {
        await this.kill();
        throw new Error(`dockerd did not answer on ${this.socket} within ${timeoutMs} ms:\n${this.logTail()}`);
      }
      if (Date.now() > told) {
        this.options.onProgress?.(`waiting for dockerd on ${this.socket} (${Date.now() - started} ms)`);
        told += PROGRESS_AFTER_MS;
      }
      await sleep(100);
    }
  }

  /** SIGTERM, as an operator stops it (it stops its containers and containerd); SIGKILL if it lingers. The machine stays for a restart. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM", STOP_GRACE_MS);
  }

  /** kill -9 of dockerd alone: a crash; containerd, shims and containers live on in its machine until close(). */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** dockerd's GET /version. */
  version(): Promise<EngineVersion> {
    return this.client.version();
  }

  /** Runs Debian's docker CLI against this dockerd (from outside: it only talks to the socket). */
  docker(args: readonly string[], options?: RunOptions): Promise<ExecResult> {
    return runCommand([DOCKER_CLI, "-H", this.url, ...args], { env: { ...process.env, DOCKER_CONFIG: join(this.dir, "cli") }, ...options });
  }

  /** Runs a command in this dockerd's machine (its network and mount namespaces: /run/docker is its own). */
  exec(argv: readonly string[], options?: RunOptions): Promise<ExecResult> {
    if (this.holderInit === undefined) return Promise.reject(new Error(`dockerd in ${this.dir} has no machine (not started)`));
    return runCommand(["nsenter", `--target=${this.holderInit}`, "--net", "--mount", "--pid", "--", ...argv], options);
  }

  /**
   * Stops dockerd (SIGTERM, then -9), kills everything left in its machine
   * (the holder is PID 1 there), removes its cgroups, data root, socket and
   * the directory when start() made it. Idempotent; every step runs even when
   * one fails, the first failure thrown at the end.
   */
  close(): Promise<void> {
    this.closing ??= this.teardown();
    return this.closing;
  }

  private async teardown(): Promise<void> {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void> | void) => {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    };
    await attempt(() => this.stop());
    await attempt(() => this.stopMachine());
    await attempt(() => removeCgroups(this.cgroupParent));
    await attempt(() => rmSync(this.madeDir ? this.dir : this.dataRoot, { recursive: true, force: true }));
    await attempt(() => rmSync(this.socket, { force: true }));
    if (errors.length > 0) throw errors.length === 1 ? errors[0] : new AggregateError(errors, `closing dockerd in ${this.dir}`);
  }

  /** What of this dockerd is still on the machine: processes, mounts (in this mount namespace), cgroups. */
  leftovers(): string[] {
    const found: string[] = [];
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
        const inNamespace = this.pidNamespace !== undefined && readlinkSync(`/proc/${pid}/ns/pid`) === this.pidNamespace;
        const inCgroup = readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(`/${this.cgroupParent}/`);
        if (inNamespace || inCgroup || cmdline.includes(this.dir)) found.push(`process ${pid} ${cmdline}`);
      } catch {
        // gone meanwhile
      }
    }
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
      if (line.includes(this.dir)) found.push(`mount ${line}`);
    }
    for (const root of cgroupRoots()) {
      if (existsSync(join(root, this.cgroupParent))) found.push(`cgroup ${join(root, this.cgroupParent)}`);
    }
    return found;
  }

  /** The last `maxChars` of dockerd's log (every start's, appended). */
  logTail(maxChars = 4000): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, "utf8").slice(-maxChars) : "";
  }

  private async answers(): Promise<boolean> {
    try {
      await this.client.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** The holder: unshare (dies with its child thanks to --kill-child) and, under it, tini as PID 1 of the machine. */
  private async startMachine(): Promise<void> {
    const netns = this.options.netns;
    if (netns !== undefined && (netns.includes("/") || !existsSync(join(NETNS_RUN_DIR, netns)))) {
      throw new Error(`no network namespace "${netns}"`);
    }
    const unshare = ["unshare", ...(netns === undefined ? ["--net"] : []), "--mount", "--propagation", "private", "--pid", "--kill-child", "--mount-proc", "--",
      "sh", "-c", MACHINE_SETUP, "sh", this.pluginDir];
    const argv = netns === undefined ? unshare : ["nsenter", `--net=${join(NETNS_RUN_DIR, netns)}`, "--", ...unshare];
    const holder = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    this.holder = holder;
    let output = "";
    holder.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    holder.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    let exited: string | undefined;
    holder.once("exit", (code, signal) => (exited = signal ?? String(code)));
    holder.once("error", (err) => (exited = err.message));
    const deadline = Date.now() + 10_000;
    while (!output.includes("ready\n")) {
      if (exited !== undefined) throw new Error(`setting up dockerd's namespaces failed (${exited}): ${output.trim()}`);
      if (Date.now() > deadline) throw new Error(`setting up dockerd's namespaces took over 10 s: ${output.trim()}`);
      await sleep(20);
    }
    const init = childrenOf(holder.pid!)[0];
    if (init === undefined) throw new Error("dockerd's machine has no PID 1");
    this.holderInit = init;
    machinesAlive.add(init);
    this.pidNamespace = readlinkSync(`/proc/${init}/ns/pid`);
  }

  /** SIGKILL to the machine's PID 1: the kernel kills every process in its PID namespace; waits until they are gone. */
  private async stopMachine(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    const gone = exitOf(holder);
    if (this.holderInit !== undefined) process.kill(this.holderInit, "SIGKILL");
    holder.kill("SIGKILL");
    await gone;
    const deadline = Date.now() + 10_000;
    while (this.processesInMachine().length > 0) {
      if (Date.now() > deadline) throw new Error(`processes left in dockerd's machine: ${this.processesInMachine().join(", ")}`);
      await sleep(50);
    }
    this.holder = undefined;
    if (this.holderInit !== undefined) machinesAlive.delete(this.holderInit);
    this.holderInit = undefined;
  }

  private processesInMachine(): string[] {
    return readdirSync("/proc").filter((pid) => {
      try {
        return /^\d+$/.test(pid) && readlinkSync(`/proc/${pid}/ns/pid`) === this.pidNamespace;
      } catch {
        return false;
      }
    });
  }

  private async signal(sig: NodeJS.Signals, escalateAfterMs?: number): Promise<void> {
    const child = this.nsenter;
    if (!child) return;
    const gone = exitOf(child);
    const target = this.dockerdPid ?? childrenOf(child.pid!)[0];
    const send = (s: NodeJS.Signals) => {
      try {
        if (target !== undefined) process.kill(target, s);
        else child.kill(s); // dockerd not forked yet: nsenter itself
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
      }
    };
    send(sig);
    const timer = escalateAfterMs === undefined ? undefined : setTimeout(() => send("SIGKILL"), escalateAfterMs);
    await gone;
    clearTimeout(timer);
  }
}

/** Pids of a process's children (its one thread's: nsenter and unshare have one). */
function childrenOf(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    return text === "" ? [] : text.split(/\s+/).map(Number);
  } catch {
    return [];
  }
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

/** The hierarchies under /sys/fs/cgroup (v1: one a controller; v2: the root itself). */
function cgroupRoots(): string[] {
  const base = "/sys/fs/cgroup";
  if (existsSync(join(base, "cgroup.procs"))) return [base];
  return existsSync(base) ? readdirSync(base).map((d) => join(base, d)).filter((d) => statSync(d).isDirectory()) : [];
}

/** rmdir /<parent> and the container cgroups under it, deepest first, in every hierarchy (a cgroup empties a moment after its last process died). */
async function removeCgroups(parent: string): Promise<void> {
  for (const root of cgroupRoots()) {
    const top = join(root, parent);
    for (let attempt = 0; existsSync(top); attempt++) {
      try {
        removeCgroupTree(top);
      } catch (err) {
        if (attempt >= 50) throw err;
        await sleep(100);
      }
    }
  }
}

function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  }
  rmdirSync(dir);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
