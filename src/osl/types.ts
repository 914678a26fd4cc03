/**
 * The OS layer of a sandbox: what the controller asks of the kernel to give
 * a container its interfaces and routes. The Linux implementation speaks
 * netlink; nothing on this path spawns a process.
 */
export interface SandboxInterfaceSpec {
  /** Link in the host namespace to take (e.g. the container end of a veth pair). */
  readonly srcName: string;
  /** Its name inside the sandbox, e.g. "eth0". */
  readonly dstName: string;
  readonly mac?: string;
  readonly mtu?: number;
  /** CIDR addresses, v4 and v6. */
  readonly addresses: readonly string[];
  /** Routes through this interface (destination CIDR, optional next hop). */
  readonly routes: readonly { destination: string; nextHop?: string }[];
}

export interface SandboxGateway {
  readonly dev: string;
  readonly ipv4?: string;
  readonly ipv6?: string;
}

export interface Osl {
  /** Create the sandbox's namespace (lo up) and return its key: the namespace path. */
  createSandbox(name: string): Promise<string>;
  /** Remove the namespace and everything in it. Idempotent. */
  destroySandbox(key: string): Promise<void>;
  addInterface(key: string, spec: SandboxInterfaceSpec): Promise<void>;
  /** Remove an interface from the sandbox (deleting it; a veth pair dies with it). Idempotent. */
  removeInterface(key: string, dstName: string): Promise<void>;
  /** Replace the default routes (v4 and/or v6), or remove them when gateway is undefined. */
  setGateway(key: string, gateway: SandboxGateway | undefined): Promise<void>;
  /** True when the sandbox has an interface of that name (a restart checks what survived). */
  hasInterface(key: string, name: string): Promise<boolean>;
  /** Names of the sandboxes with the prefix that exist in the kernel (for recovery and cleanup). */
  listSandboxes(prefix: string): Promise<string[]>;
}
