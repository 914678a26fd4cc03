import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fastifyLogger } from "../../src/api/index.js";
import { networkDBClusterBackend } from "../../src/daemon/cluster-backend.js";
import { decodePeerRecord, PEER_TABLE } from "../../src/drivers/overlay/index.js";
import type { Logger } from "../../src/log/index.js";
import { collectingLogger } from "../log-lines.js";
import type { NetworkDB, TableElem } from "../../src/networkdb/index.js";

/** A Logger that keeps "level message" lines. */
function collecting(): { log: Logger; lines: string[] } {
  const log = collectingLogger();
  return { log, lines: log.lines };
}

describe("best-effort steps say what failed", () => {
  it("a cluster table entry that does not decode is shown as base64 and logged, naming table, network, key and owner", () => {
    const { log, lines } = collecting();
    const entries = new Map<string, TableElem>([["k1", { value: Uint8Array.of(0xff, 0x00, 0x13), owner: "node-b" }]]);
    // Only what the table view reads of a NetworkDB.
    const db = { getTableByNetwork: () => entries } as unknown as NetworkDB;
    const backend = networkDBClusterBackend(db, { nodeName: "a", address: "10.0.0.1", store: "etcd://x" }, { [PEER_TABLE]: decodePeerRecord }, log);
    const [entry] = backend.table("n1", PEER_TABLE);
    assert.equal(entry?.Value, "/wAT");
    assert.equal(entry && "Decoded" in entry, false);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, new RegExp(`^debug cluster table ${PEER_TABLE} of network n1: entry k1 from node-b does not decode: .+`));
  });

  it("the API's fastify logger writes the daemon's lines: message, fields, then the error", () => {
    const { log, lines } = collecting();
    const reqLog = fastifyLogger(log).child({ reqId: "req-7" });
    reqLog.warn({ err: new Error("device busy"), sandbox: "s1", req: { huge: true } }, "removing the sandbox failed");
    reqLog.info({ res: { statusCode: 200 } }, "request completed");
    assert.deepEqual(lines, ["warn removing the sandbox failed reqId=req-7 sandbox=s1 error: device busy", "debug request completed reqId=req-7"]);
  });
});
