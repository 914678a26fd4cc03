import { randomBytes } from "node:crypto";
import { after, before } from "node:test";
import type { NetworkRecord } from "../../src/controller/records.js";
import { UnavailableError } from "../../src/errors.js";
import { type ClusterStore, connectClusterStore } from "../../src/store/etcd/client.js";
import { EtcdProcess } from "../../src/testbed/etcd.js";

export { waitUntil } from "../../src/networkdb-node/launcher.js";

/**
 * A real etcd for one test file, and clients on it ("hosts"), each on a root
 * of its own test: started before the tests, everything closed after them.
 */
export function etcdFixture(): {
  readonly etcd: EtcdProcess;
  /** A new client ("another host") on `root` (default: a new one), to etcd or to `endpoint` (a Relay). */
  connect(root?: string, endpoint?: string): Promise<ClusterStore>;
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
    async connect(root = `/cnm-test/${randomBytes(4).toString("hex")}/`, endpoint = etcd!.endpoint) {
      const client = await connectClusterStore(`etcd://${endpoint}`, { root, callTimeoutMs: 2000, dialTimeoutMs: 1000 });
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
 * A TCP relay on loopback to etcd that the test can cut and reconnect: one
 * client behind it loses etcd while the others keep it (a partition).
 */
export class Relay {
  private readonly sockets = new Set<import("node:net").Socket>();
  private open = true;

  private constructor(
    private readonly server: import("node:net").Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<Relay> {
    const net = await import("node:net");
    let relay: Relay | undefined;
    const server = net.createServer((inbound) => {
      if (!relay?.open) return inbound.destroy();
      const outbound = net.connect(target.port, target.host);
      for (const s of [inbound, outbound]) {
        relay.sockets.add(s);
        s.on("close", () => relay!.sockets.delete(s));
        s.on("error", () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    relay = new Relay(server, (server.address() as import("node:net").AddressInfo).port);
    return relay;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Drops every connection and refuses new ones until reconnect(). */
  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  reconnect(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
