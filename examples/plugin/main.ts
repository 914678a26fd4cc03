/**
 * An example cnm/Docker plugin: the veth driver (NetworkDriver) and cnm's
 * default IPAM (IpamDriver) served on one unix socket with the plugin SDK.
 *
 *   node dist/examples/plugin/main.js --socket /run/cnm/plugins/vethx.sock [--prefix vx]
 *   cnm network create -d vethx --ipam-driver vethx --subnet 10.30.0.0/24 n1
 */
import { parseArgs } from "node:util";
import { servePlugin } from "../../src/plugin-sdk/index.js";
import { DefaultIpam } from "../../src/ipam/index.js";
import { NetlinkHandle } from "../../src/linux/index.js";
import { VethDriver } from "./veth-driver.js";

const { values } = parseArgs({ options: { socket: { type: "string" }, prefix: { type: "string" } } });
if (!values.socket) {
  process.stderr.write("usage: main.js --socket PATH [--prefix PREFIX]\n");
  process.exit(2);
}
const host = NetlinkHandle.open();
const server = await servePlugin({
  socketPath: values.socket,
  driver: { driver: new VethDriver(host, values.prefix ?? "vx"), capability: { dataScope: "local" } },
  ipam: new DefaultIpam({ requiresRequestReplay: false }),
  onCall: (method, err) => {
    if (err) process.stderr.write(`${method}: ${err instanceof Error ? err.message : String(err)}\n`);
  },
});
process.stdout.write(`listening on ${server.socketPath}\n`);
const stop = () => void server.close().then(() => (host.close(), process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
