/**
 * A long-lived helper run inside a sandbox's network namespace (nsenter
 * --net=...), so that timing a connect never includes a process start:
 *
 *   probe-agent echo <port>   answers every UDP datagram on <port> with itself
 *   probe-agent probe         on stdin "arm <id> <ip> <port>": sends <id> to
 *                             ip:port every millisecond until the first
 *                             echo of <id>, then prints "reached <id> <ns>"
 *                             (CLOCK_MONOTONIC, as process.hrtime.bigint()
 *                             in every process on the host); "disarm" stops.
 *
 * Both print "ready" once listening. The prober makes its namespace retry
 * ARP every 10 ms (the kernel's floor) instead of every second: a probe sent
 * before the overlay knows the address fails its first ARP, and a 1 s retry
 * would measure the instrument, not the overlay.
 */
import { createSocket } from "node:dgram";
import { readdirSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";

const [role, portArg] = process.argv.slice(2);

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function tuneArpRetries(): void {
  const root = "/proc/sys/net/ipv4/neigh";
  for (const dev of readdirSync(root)) {
    if (dev === "lo") continue;
    // retrans 10 ms for 2 s before giving up; the next send starts over.
    writeFileSync(`${root}/${dev}/retrans_time_ms`, "10");
    writeFileSync(`${root}/${dev}/mcast_solicit`, "200");
  }
}

function echo(port: number): void {
  const sock = createSocket("udp4");
  sock.on("message", (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
  sock.on("error", (err) => {
    process.stderr.write(`echo: ${err.message}\n`);
    process.exit(1);
  });
  sock.bind(port, "0.0.0.0", () => say("ready"));
}

function probe(): void {
  tuneArpRetries();
  const sock = createSocket("udp4");
  let current: { id: string; timer: NodeJS.Timeout } | undefined;
  const disarm = () => {
    if (current) clearInterval(current.timer);
    current = undefined;
  };
  sock.on("message", (msg) => {
    const t = process.hrtime.bigint();
    if (current && msg.toString() === current.id) {
      const id = current.id;
      disarm();
      say(`reached ${id} ${t}`);
    }
  });
  // Sends to an address not yet resolvable fail (EHOSTUNREACH): that is the point of probing.
  sock.on("error", () => {});
  sock.bind(0, () => say("ready"));
  createInterface({ input: process.stdin }).on("line", (line) => {
    const [cmd, id, ip, port] = line.trim().split(" ");
    if (cmd === "arm" && id && ip && port) {
      disarm();
      const payload = Buffer.from(id);
      const send = () => sock.send(payload, Number(port), ip, () => {});
      current = { id, timer: setInterval(send, 1) };
      send();
      say(`armed ${id}`);
    } else if (cmd === "disarm") {
      disarm();
      say("disarmed");
    }
  }).on("close", () => process.exit(0));
}

if (role === "echo") echo(Number(portArg));
else if (role === "probe") probe();
else {
  process.stderr.write("usage: probe-agent echo <port> | probe\n");
  process.exit(2);
}
