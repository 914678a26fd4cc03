import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { createServer, type AddressInfo, type Server } from "node:net";
import { PortAllocator, PortInUseError, isHostPortFree, requestProbedPort } from "../../src/portallocator/index.js";

// Real sockets on the loopback address: a port held by a listener in this
// process stands for "another process on the host".

function listenTcp(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen({ host: "127.0.0.1", port: 0 }, () => resolve(s));
  });
}

/** True when nothing listens on 127.0.0.1:port now. */
function tcpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host: "127.0.0.1", port }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A listener on a kernel-chosen port whose successor is free: the machine's
 * other processes take ephemeral ports too, and one of them on port+1 would
 * leave the allocator's two-port range with nothing free.
 */
async function listenNextToFreePort(): Promise<Server> {
  for (let attempt = 0; ; attempt++) {
    const s = await listenTcp();
    const port = (s.address() as AddressInfo).port;
    if (port < 65535 && (await tcpPortFree(port + 1))) return s;
    await closeTcp(s);
    if (attempt === 50) throw new Error("no listener with a free next port in 50 attempts");
  }
}

function bindUdp(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.bind({ address: "127.0.0.1", port: 0 }, () => resolve(s));
  });
}

const closeTcp = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));
const closeUdp = (s: Socket): Promise<void> => new Promise((r) => s.close(() => r()));

describe("host port probe", () => {
  it("sees TCP and UDP ports bound by someone else, and free ones", async () => {
    const tcp = await listenTcp();
    const udp = await bindUdp();
    try {
      const tcpPort = (tcp.address() as AddressInfo).port;
      const udpPort = udp.address().port;
      assert.equal(await isHostPortFree("tcp", "127.0.0.1", tcpPort), false);
      assert.equal(await isHostPortFree("udp", "127.0.0.1", udpPort), false);
      // A wildcard bind conflicts with the specific listener too.
      assert.equal(await isHostPortFree("tcp", "0.0.0.0", tcpPort), false);
      await closeTcp(tcp);
      await closeUdp(udp);
      assert.equal(await isHostPortFree("tcp", "127.0.0.1", tcpPort), true);
      assert.equal(await isHostPortFree("udp", "127.0.0.1", udpPort), true);
    } finally {
      tcp.listening && (await closeTcp(tcp));
    }
  });

  it("rethrows errors other than 'in use' (address not on this host)", async () => {
    await assert.rejects(isHostPortFree("tcp", "192.0.2.123", 40000), /EADDRNOTAVAIL/);
  });

  it("requestProbedPort refuses a fixed port in use and leaves it unallocated", async () => {
    const tcp = await listenTcp();
    try {
      const port = (tcp.address() as AddressInfo).port;
      const pa = new PortAllocator();
      await assert.rejects(requestProbedPort(pa, "tcp", "127.0.0.1", port), (e: unknown) => {
        assert.ok(e instanceof PortInUseError);
        assert.equal(e.message, `port ${port}/tcp on 127.0.0.1 is in use by another process on the host`);
        return true;
      });
      assert.deepEqual(pa.allocations(), []);
    } finally {
      await closeTcp(tcp);
    }
  });

  it("requestProbedPort skips ephemeral ports in use and releases the skipped ones", async () => {
    const tcp = await listenNextToFreePort();
    try {
      const busy = (tcp.address() as AddressInfo).port;
      const pa = new PortAllocator({ rangeStart: busy, rangeEnd: busy + 1 });
      const got = await requestProbedPort(pa, "tcp", "127.0.0.1");
      assert.equal(got, busy + 1);
      assert.deepEqual(pa.allocations(), [{ proto: "tcp", hostIP: "127.0.0.1", port: busy + 1 }]);
    } finally {
      await closeTcp(tcp);
    }
  });
});
