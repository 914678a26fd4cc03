/**
 * One "host" for the multi-process IPAM test: connects to the cluster store,
 * waits for "go" on stdin so every worker starts together, requests `count`
 * addresses of a pool all at once, and prints them with its counters as JSON.
 * Usage: node ipam-worker.js ENDPOINT ROOT POOL_ID COUNT
 */
import { connectClusterStore } from "../../src/store/etcd/client.js";
import { EtcdIpam } from "../../src/store/etcd/ipam.js";

const [endpoint, root, poolId, count] = process.argv.slice(2);
const store = await connectClusterStore(`etcd://${endpoint}`, { root: root! });
const ipam = new EtcdIpam(store);
process.stdout.write("ready\n");
await new Promise((resolve) => process.stdin.once("data", resolve));
const started = Date.now();
const results = await Promise.all(Array.from({ length: Number(count) }, () => ipam.requestAddress(poolId!)));
const tookMs = Date.now() - started;
process.stdout.write(`${JSON.stringify({ addresses: results.map((r) => r.address), stats: ipam.stats, tookMs })}\n`);
await store.close();
process.exit(0);
