import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApiServer, type ApiController, type ClusterBackend } from "../../src/api/index.js";
import { HttpError, errorResponse } from "../../src/api/http-errors.js";
import { ConflictError, httpStatusOf, InternalError } from "../../src/errors.js";
import { LinuxError, NetlinkHandle, netns, sysctlGet } from "../../src/linux/index.js";
import { NetworkDBError } from "../../src/networkdb/errors.js";
import { decodePacket } from "../../src/networkdb/wire/packet.js";
import { WireError } from "../../src/networkdb/wire/errors.js";

const BODY_LIMIT = 1 << 20;

/** What the kernel layer throws for `step`, which must fail. */
function linuxErrorOf(step: () => unknown): LinuxError {
  try {
    step();
  } catch (err) {
    assert.ok(err instanceof LinuxError, `not a LinuxError: ${String(err)}`);
    return err;
  }
  assert.fail("the step did not fail");
}

/** The status the API answers `err` with (and httpStatusOf agrees). */
function statusOf(err: unknown): number {
  const { status } = errorResponse(err, BODY_LIMIT);
  assert.equal(httpStatusOf(err), status);
  return status;
}

describe("the status an error reaching the API is answered with", () => {
  it("kernel refusals caused by the caller are 4xx; the host's own failures stay 500", () => {
    const absent = linuxErrorOf(() => netns.delete(`cnm-fp-absent-${process.pid}`));
    assert.equal(absent.code, "ENOENT");
    assert.equal(statusOf(absent), 404);

    const host = NetlinkHandle.open();
    try {
      const taken = linuxErrorOf(() => host.linkAdd({ kind: "dummy", name: "lo" }));
      assert.equal(taken.code, "EEXIST");
      assert.equal(statusOf(taken), 409);
      const gone = linuxErrorOf(() => host.linkGet(`cnmfp${process.pid % 100000}`));
      assert.equal(gone.code, "ENODEV");
      assert.equal(statusOf(gone), 404);
    } finally {
      host.close();
    }

    const noSetting = linuxErrorOf(() => sysctlGet(["net", "ipv4", "conf", `cnmfp${process.pid % 100000}`, "forwarding"]));
    assert.equal(noSetting.code, "ENOENT");
    assert.equal(statusOf(noSetting), 501, "a sysctl the kernel lacks is a missing feature, not a missing object");

    const byName = (errno: number) => statusOf(new LinuxError("test op", errno));
    assert.equal(byName(22), 400, "EINVAL");
    assert.equal(byName(34), 400, "ERANGE");
    assert.equal(byName(7), 400, "E2BIG");
    assert.equal(byName(36), 400, "ENAMETOOLONG");
    assert.equal(byName(16), 409, "EBUSY");
    assert.equal(byName(3), 404, "ESRCH");
    assert.equal(byName(95), 501, "EOPNOTSUPP");
    assert.equal(byName(1), 500, "EPERM: the host's setup, not the caller's rights");
    assert.equal(byName(12), 500, "ENOMEM");
    assert.equal(errorResponse(absent, BODY_LIMIT).message, absent.message);
  });

  it("networkdb's refusals say whose cause they are, without importing cnm", () => {
    const cases: [NetworkDBError["code"], number][] = [
      ["exists", 409],
      ["not-found", 404],
      ["not-joined", 404],
      ["too-large", 400],
      ["closed", 503],
    ];
    for (const [code, status] of cases) assert.equal(statusOf(new NetworkDBError(code, code)), status, code);
  });

  it("bytes that do not decode are the sender's: 400", () => {
    let wire: unknown;
    try {
      decodePacket(Uint8Array.of(0xff, 1, 2, 3));
    } catch (err) {
      wire = err;
    }
    assert.ok(wire instanceof WireError, String(wire));
    assert.equal(statusOf(wire), 400);
  });

  it("cnm's own errors keep theirs, the API's too, and the rest is 500", () => {
    assert.equal(statusOf(new ConflictError("x")), 409);
    assert.equal(statusOf(new InternalError("x")), 500);
    assert.equal(errorResponse(new HttpError(404, "No such container: x"), BODY_LIMIT).status, 404);
    assert.equal(statusOf(new Error("plain")), 500);
    // A status that is not ours to repeat (a library's, a plugin's answer) is not read.
    assert.equal(statusOf(Object.assign(new Error("x"), { status: 404 })), 500);
    assert.equal(statusOf(Object.assign(new Error("x"), { apiStatus: 200 })), 500);
  });

  it("the server answers with that status: a networkdb refusal on GET /cluster/networks/{id}/tables/{table}", async () => {
    const controller = { network: () => ({ id: "n1" }) } as unknown as ApiController;
    const thrown: Error[] = [new NetworkDBError("not-joined", "network n1 is not joined"), new LinuxError("link get \"x\"", 19), new Error("bug")];
    const cluster = {
      table: () => {
        throw thrown.shift();
      },
    } as unknown as ClusterBackend;
    const api = createApiServer(controller, { cluster });
    try {
      const ask = async () => {
        const r = await api.fastify.inject({ method: "GET", url: "/cluster/networks/n1/tables/t" });
        return [r.statusCode, (r.json() as { message: string }).message];
      };
      assert.deepEqual(await ask(), [404, "network n1 is not joined"]);
      assert.deepEqual(await ask(), [404, 'link get "x": No such device (ENODEV)']);
      assert.deepEqual(await ask(), [500, "bug"]);
    } finally {
      await api.close();
    }
  });
});
