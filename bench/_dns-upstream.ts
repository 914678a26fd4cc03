// The upstream of the forwarded-name measurement in `npm run bench -- dns`:
// a minimal DNS server, in its own process (so it takes no CPU from the
// resolver under test), answering every query with one A record.
//
//   node _dns-upstream.js <address> <port>
import { createSocket } from "node:dgram";

const [address, port] = process.argv.slice(2);
const socket = createSocket("udp4");
const ANSWER = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);

socket.on("message", (query, from) => {
  if (query.length < 17 || query[2]! & 0x80) return;
  // Header + the question as asked (assumes no additional records: the
  // bench's queries have none) + one answer pointing at the question.
  let end = 12;
  while (end < query.length && query[end] !== 0) end += query[end]! + 1;
  end += 5;
  if (end > query.length) return;
  const reply = Buffer.allocUnsafe(end + ANSWER.length);
  query.copy(reply, 0, 0, end);
  reply[2] = 0x81;
  reply[3] = 0x80;
  reply.writeUInt16BE(1, 6);
  reply.writeUInt16BE(0, 8);
  reply.writeUInt16BE(0, 10);
  ANSWER.copy(reply, end);
  socket.send(reply, from.port, from.address);
});
socket.bind(Number(port), address, () => console.log("ready"));
