/**
 * cnm's additions to the networkdb-test surface, for tests and benchmarks
 * that must see inside a node without polling it:
 *
 * - GET /events?tname=&nid=  a stream of the table events this node hears
 *   from the cluster, one JSON object per line, each stamped with
 *   CLOCK_MONOTONIC nanoseconds (`t_ns`), a clock every process on the host
 *   shares: the time from a write on one node to its arrival on another is
 *   a subtraction.
 * - GET /diagnostics[?entries][&gc]  NetworkDB's diagnostics (members,
 *   networks, queues, counters; every entry with `entries`) and the
 *   process's memory (after a full garbage collection with `gc`).
 */
import type { ServerResponse } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { NetworkDB, WatchEvent } from "../networkdb/index.js";
import { encodeStdBase64 } from "../networkdb/wire/index.js";

/**
 * Full collections, without starting node with --expose-gc. Twice, a turn
 * of the event loop apart: memory outside the heap (buffers, external
 * strings) is released by callbacks that run after the collection that
 * found it dead, so one collection still reports megabytes of garbage.
 */
async function collectGarbage(): Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

export function eventLine(event: WatchEvent): string {
  return `${JSON.stringify({
    type: event.type,
    tname: event.table,
    nid: event.nid,
    key: event.key,
    value: encodeStdBase64(event.value),
    t_ns: process.hrtime.bigint().toString(),
  })}\n`;
}

/**
 * Streams events until the client goes away. With `batch=MS`, lines are
 * sent at most every MS milliseconds: each event is still stamped when the
 * node applies it, but the node and its reader wake once a batch instead of
 * once an event (a benchmark's instrument should cost little next to what
 * it measures).
 */
export function streamEvents(db: NetworkDB, form: URLSearchParams, res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "application/x-ndjson", "Cache-Control": "no-store" });
  // The first line says the watch is in place: a client may write once it has read it.
  res.write(`${JSON.stringify({ type: "watching", t_ns: process.hrtime.bigint().toString() })}\n`);
  const batchMs = Math.max(0, Math.min(10_000, Number(form.get("batch") ?? 0) || 0));
  let pending = "";
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    res.write(pending);
    pending = "";
  };
  const watch = db.watch(form.get("tname") ?? undefined, form.get("nid") ?? undefined, (event) => {
    if (batchMs === 0) {
      res.write(eventLine(event));
      return;
    }
    pending += eventLine(event);
    timer ??= setTimeout(flush, batchMs);
  });
  res.on("close", () => {
    watch.close();
    if (timer !== undefined) clearTimeout(timer);
  });
}

export async function diagnosticsReport(db: NetworkDB, form: URLSearchParams): Promise<string> {
  if (form.has("gc")) await collectGarbage();
  const memory = process.memoryUsage();
  return JSON.stringify({ ...db.diagnostics({ entries: form.has("entries") }), process: { pid: process.pid, memory } });
}
