// A tiny traffic tool for the firewall tests, run inside namespaces with
// `ip netns exec <ns> node dist/test/linux/nftables-netprobe.js ...`
// (no nc/socat on the test machine, and node is always there).
//
//   serve <port>                 TCP and UDP on [::]:port (dual stack); each TCP
//                                connection / UDP datagram is answered with
//                                "peer=<client address>". Prints "ready".
//   tcp <host> <port> <timeoutMs> connects, prints the answer; exit 1 on failure.
//   udp <host> <port> <timeoutMs> sends a datagram, prints the answer; exit 1 on timeout.
import { createSocket } from "node:dgram";
import { connect, createServer } from "node:net";

// A v4 client seen by a dual-stack socket shows as ::ffff:a.b.c.d.
const plain = (addr: string | undefined): string => (addr ?? "?").replace(/^::ffff:/, "");

function serve(port: number): void {
  let pending = 2;
  const ready = (): void => {
    if (--pending === 0) console.log("ready");
  };
  createServer((sock) => {
    sock.end(`peer=${plain(sock.remoteAddress)}\n`);
    sock.on("error", () => {});
  }).listen({ host: "::", port, ipv6Only: false }, ready);
  const udp = createSocket({ type: "udp6", ipv6Only: false });
  udp.on("message", (_msg, rinfo) => udp.send(`peer=${plain(rinfo.address)}\n`, rinfo.port, rinfo.address));
  udp.bind(port, "::", ready);
}

function tcp(host: string, port: number, timeoutMs: number): void {
  const sock = connect({ host, port });
  let data = "";
  const timer = setTimeout(() => fail("timeout"), timeoutMs);
  sock.on("data", (b) => (data += b.toString()));
  sock.on("end", () => {
    clearTimeout(timer);
    process.stdout.write(data);
    process.exit(data ? 0 : 1);
  });
  sock.on("error", (e) => fail(e.message));
}

function udp(host: string, port: number, timeoutMs: number): void {
  const sock = createSocket(host.includes(":") ? "udp6" : "udp4");
  const timer = setTimeout(() => fail("timeout"), timeoutMs);
  sock.on("message", (msg) => {
    clearTimeout(timer);
    process.stdout.write(msg.toString());
    process.exit(0);
  });
  sock.on("error", (e) => fail(e.message));
  sock.send("hello", port, host);
}

function fail(why: string): never {
  console.log(`error=${why}`);
  process.exit(1);
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === "serve") serve(Number(a));
else if (mode === "tcp") tcp(a!, Number(b), Number(c));
else if (mode === "udp") udp(a!, Number(b), Number(c));
else fail(`usage: serve <port> | tcp|udp <host> <port> <timeoutMs>`);
