import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import type { NetworkRecord } from "../../src/controllerapi/index.js";
import { UnavailableError } from "../../src/errors.js";
import type { Logger } from "../../src/log/index.js";
import { type ClusterStore, connectClusterStore } from "../../src/store/etcd/client.js";
import { EtcdProcess } from "../../src/testbed/etcd.js";

export { waitUntil } from "../../src/networkdb-node/launcher.js";

/**
 * A real etcd for one test file, and clients on it ("hosts"), each on a root
 * of its own test: started before the tests, everything closed after them.
 */
export function etcdFixture(): {
  readonly etcd: EtcdProcess;
  /** A new client ("another host") on `root` (default: a new one), to etcd or to `endpoint` (a Relay), logging to `logger`. */
  connect(root?: string, endpoint?: string, logger?: Logger): Promise<ClusterStore>;
  /** A root no other test uses. */
  newRoot(): string;
} {
  let etcd: EtcdProcess | undefined;
  const clients: ClusterStore[] = [];
  before(async () => {
    etcd = await EtcdProcess.start({ name: `cnm-store-${randomBytes(2).toString("hex")}` });
  });
  after(async () => {
    for (const c of clients) await c.close();
    await etcd?.close();
  });
  return {
    get etcd() {
      if (!etcd) throw new Error("etcd is not started yet");
      return etcd;
    },
    async connect(root = `/cnm-test/${randomBytes(4).toString("hex")}/`, endpoint = etcd!.endpoint, logger?: Logger) {
      const client = await connectClusterStore(`etcd://${endpoint}`, { root, callTimeoutMs: 2000, dialTimeoutMs: 1000, ...(logger ? { logger } : {}) });
      clients.push(client);
      return client;
    },
    newRoot: () => `/cnm-test/${randomBytes(4).toString("hex")}/`,
  };
}

export function networkRecord(name: string, id = randomBytes(32).toString("hex")): NetworkRecord {
  return {
    id,
    name,
    driver: "overlay",
    scope: "global",
    created: new Date().toISOString(),
    ipamDriver: "default",
    ipamOptions: {},
    ipv4Config: [],
    ipv6Config: [],
    ipv4: [],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    attachable: false,
    driverOpts: {},
    labels: {},
    allocation: {},
  };
}

/** Asserts that `promise` rejects with UnavailableError within `withinMs`; returns how long it took. */
export async function failsUnavailable(what: string, promise: Promise<unknown>, withinMs = 5000): Promise<number> {
  const started = Date.now();
  try {
    await promise;
  } catch (err) {
    const took = Date.now() - started;
    if (!(err instanceof UnavailableError)) throw new Error(`${what}: expected UnavailableError, got ${String(err)}`, { cause: err });
    if (took > withinMs) throw new Error(`${what}: failed only after ${took} ms`);
    return took;
  }
  throw new Error(`${what}: succeeded while etcd was down`);
}

/**
 * A TCP relay on loopback to etcd that the test can cut (connections reset,
 * like a crashed host) or stall (connections stay open, nothing gets
 * through, like a hung one) and restore: one client behind it loses etcd
 * while the others keep it.
 */
export class Relay {
  private readonly pairs = new Set<[import("node:net").Socket, import("node:net").Socket | undefined]>();
  private mode: "open" | "cut" | "stalled" = "open";

  private constructor(
    private readonly server: import("node:net").Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<Relay> {
    const net = await import("node:net");
    const server = net.createServer((inbound) => {
      const r = relay!;
      if (r.mode === "cut") return inbound.destroy();
      inbound.on("error", () => inbound.destroy());
      if (r.mode === "stalled") {
        const pair: [typeof inbound, undefined] = [inbound, undefined];
        r.pairs.add(pair);
        inbound.on("close", () => r.pairs.delete(pair));
        return;
      }
      const outbound = net.connect(target.port, target.host);
      const pair: [typeof inbound, typeof outbound] = [inbound, outbound];
      r.pairs.add(pair);
      for (const s of pair) {
        s.on("close", () => {
          r.pairs.delete(pair);
          inbound.destroy();
          outbound.destroy();
        });
        s.on("error", () => s.destroy());
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    let relay: Relay | undefined;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    relay = new Relay(server, (server.address() as import("node:net").AddressInfo).port);
    return relay;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Resets every connection and refuses new ones until restore(). */
  cut(): void {
    this.mode = "cut";
    for (const [a, b] of this.pairs) {
      a.destroy();
      b?.destroy();
    }
  }

  /** Keeps every connection open but lets nothing through, until cut() or restore(). */
  stall(): void {
    this.mode = "stalled";
    for (const [a, b] of this.pairs) {
      if (!b) continue;
      a.unpipe(b);
      b.unpipe(a);
      a.pause();
      b.pause();
    }
  }

  /** Back to relaying; stalled connections are reset (their streams are broken). */
  restore(): void {
    if (this.mode === "stalled") this.cut();
    this.mode = "open";
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
