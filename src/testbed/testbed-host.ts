/**
 * One machine of a testbed: a network namespace on the underlay with its
 * address, and the cnmd that runs in it (its own data root, socket, log).
 */
import { join } from "node:path";
import { runCnm } from "./cnm-cli.js";
import { CnmdProcess } from "./cnmd-process.js";
import { inNamespace } from "./in-namespace.js";
import { runCommand, type ExecResult, type RunOptions } from "./process-run.js";

export interface HostSpec {
  /** 1-based position in the testbed. */
  readonly index: number;
  /** "h1", "h2", ...: also the cnmd node name in cluster mode. */
  readonly name: string;
  readonly netns: string;
  /** Underlay IPv4 address, dotted (198.51.100.x). */
  readonly address: string;
  /** This host's directory (data root, socket and log live under it). */
  readonly dir: string;
}

export class TestbedHost {
  readonly index: number;
  readonly name: string;
  readonly netns: string;
  readonly address: string;
  readonly dataRoot: string;
  readonly socket: string;
  readonly logPath: string;
  readonly daemon: CnmdProcess;

  /** `cnmdArgs` is asked at each start, so it may name things made after this host (etcd). */
  constructor(spec: HostSpec, cnmdArgs: (host: TestbedHost) => readonly string[]) {
    this.index = spec.index;
    this.name = spec.name;
    this.netns = spec.netns;
    this.address = spec.address;
    this.dataRoot = join(spec.dir, "data");
    this.socket = join(spec.dir, "cnm.sock");
    this.logPath = join(spec.dir, "cnmd.log");
    this.daemon = new CnmdProcess({
      dataRoot: this.dataRoot,
      socket: this.socket,
      logPath: this.logPath,
      netns: this.netns,
      extraArgs: () => cnmdArgs(this),
    });
  }

  /** Prefix of the kernel objects this host's cnmd makes (its sandboxes are /run/netns/<prefix>-<12 hex>). */
  get cnmdPrefix(): string {
    return this.daemon.prefix;
  }

  /** Runs `cnm ...args` against this host's daemon. */
  cnm(args: readonly string[], options?: RunOptions): Promise<ExecResult> {
    return runCnm(this.socket, args, options);
  }

  /** Runs a command inside this host's network namespace (never throws on a non-zero exit). */
  exec(cmd: readonly string[], options?: RunOptions): Promise<ExecResult> {
    return runCommand(inNamespace(this.netns, cmd), options);
  }

  /** Starts this host's cnmd (again, on the same state); resolves when it answers. */
  startDaemon(): Promise<void> {
    return this.daemon.start();
  }

  /** SIGTERM: the daemon stops, its networks and sandboxes stay up. */
  stopDaemon(): Promise<void> {
    return this.daemon.stop();
  }

  /** kill -9: a crashed daemon. */
  killDaemon(): Promise<void> {
    return this.daemon.kill();
  }

  /** The end of this host's cnmd log, for failure messages. */
  logTail(maxChars?: number): string {
    return this.daemon.logTail(maxChars);
  }
}
