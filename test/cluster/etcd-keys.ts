/**
 * Prints every key of an etcd (one JSON array of strings on stdout), for
 * tests whose etcd listens on a testbed's underlay: run it inside a host's
 * namespace with `host.exec([process.execPath, ETCD_KEYS_SCRIPT, endpoint])`,
 * since the test process itself has no route to the underlay.
 */
import { fileURLToPath } from "node:url";
import { connectClusterStore } from "../../src/store/etcd/index.js";

export const ETCD_KEYS_SCRIPT = fileURLToPath(import.meta.url);

async function main(endpoint: string): Promise<void> {
  const store = await connectClusterStore(`etcd://${endpoint}`, { root: "/" });
  try {
    const r = await store.rangePrefix("", { keys_only: true });
    console.log(JSON.stringify(r.kvs.map((kv) => kv.key.toString("utf8")).sort()));
  } finally {
    await store.close();
  }
}

if (process.argv[1] === ETCD_KEYS_SCRIPT) {
  const endpoint = process.argv[2];
  if (!endpoint) {
    console.error("usage: etcd-keys HOST:PORT");
    process.exit(2);
  }
  await main(endpoint);
}
