// The load generator of `npm run bench -- dns`, the same for cnm and
// aardvark-dns: one UDP socket (bound to a given source address, since
// aardvark-dns answers only addresses it knows as containers) keeping a
// fixed number of queries outstanding for a fixed time. Run inside the
// sandbox namespace by bench/dns.ts; prints one JSON line.
//
//   node _dns-load.js <server> <port> <source> <name> <type> <warmupMs> <durationMs> <outstanding>
import { createSocket } from "node:dgram";

const [server, portText, source, name, typeText, warmupText, durationText, outstandingText] = process.argv.slice(2);
const port = Number(portText);
const type = typeText === "AAAA" ? 28 : 1;
const warmupMs = Number(warmupText);
const durationMs = Number(durationText);
const outstanding = Number(outstandingText);
/** A query not answered in this long counts as lost and its slot is reused. */
const LOST_AFTER_MS = 1000;

function encodeQuery(qname: string, qtype: number): Buffer {
  const labels = qname.split(".").filter(Boolean);
  const out = Buffer.alloc(12 + labels.reduce((n, l) => n + l.length + 1, 0) + 5);
  out.writeUInt16BE(0x0100, 2); // RD
  out.writeUInt16BE(1, 4);
  let at = 12;
  for (const l of labels) {
    out[at++] = l.length;
    at += out.write(l, at, "latin1");
  }
  out[at++] = 0;
  out.writeUInt16BE(qtype, at);
  out.writeUInt16BE(1, at + 2);
  return out;
}

// One prepared query per slot: the id is the slot number.
const queries = Array.from({ length: outstanding }, (_, slot) => {
  const q = encodeQuery(name!, type);
  q.writeUInt16BE(slot, 0);
  return q;
});
const sentAt = new Float64Array(outstanding);
let latencies = new Float64Array(1 << 20);
let count = 0;
let measuring = false;
let stopped = false;
let lost = 0;
let errors = 0;
/** Every answer, warm-up included: what the server's CPU time over the whole run paid for. */
let answered = 0;

const socket = createSocket("udp4");

function send(slot: number): void {
  sentAt[slot] = performance.now();
  // Connected: no per-send address lookup, the kernel routes once.
  socket.send(queries[slot]!);
}

socket.on("message", (msg) => {
  if (msg.length < 12) return;
  const slot = msg.readUInt16BE(0);
  if (slot >= outstanding || sentAt[slot] === 0) return;
  const now = performance.now();
  answered++;
  if ((msg[3]! & 0xf) !== 0 || msg.readUInt16BE(6) === 0) errors++;
  if (measuring) {
    if (count === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[count++] = now - sentAt[slot]!;
  }
  if (stopped) sentAt[slot] = 0;
  else send(slot);
});

socket.bind(0, source, () => socket.connect(port, server, start));

function start(): void {
  for (let slot = 0; slot < outstanding; slot++) send(slot);
  const sweep = setInterval(() => {
    const now = performance.now();
    for (let slot = 0; slot < outstanding; slot++) {
      if (sentAt[slot] !== 0 && now - sentAt[slot]! > LOST_AFTER_MS) {
        lost++;
        if (!stopped) send(slot);
      }
    }
  }, 250);
  setTimeout(() => {
    measuring = true;
    errors = 0;
    const started = performance.now();
    setTimeout(() => {
      measuring = false;
      stopped = true;
      const elapsed = performance.now() - started;
      const sorted = latencies.subarray(0, count).sort();
      const pct = (p: number): number => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.floor((p / 100) * count))]!);
      clearInterval(sweep);
      // The answers still in flight are counted before reporting.
      setTimeout(() => {
        socket.close();
        console.log(JSON.stringify({ qps: (count * 1000) / elapsed, p50_ms: pct(50), p99_ms: pct(99), completed: count, answered, lost, errors }));
      }, 50);
    }, durationMs);
  }, warmupMs);
}
