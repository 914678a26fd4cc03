// The command-line room shared by cnmd, cnm and networkdb-node, and cnmd's
// flags through it, without starting anything.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeKey, defaultPrefix, joinListFlag, parseFlagsOnly, parseLogLevel, UsageError } from "../../src/cmdline/index.js";
import { parseDaemonArgs } from "../../src/daemon/config.js";

const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UsageError && re.test(e.message));

describe("cmdline", () => {
  it("parseLogLevel takes the four levels, falls back when absent, and refuses the rest", () => {
    assert.equal(parseLogLevel("debug", "info"), "debug");
    assert.equal(parseLogLevel(undefined, "warn"), "warn");
    usage(() => parseLogLevel("loud", "info"), /^--log-level: "loud" is not one of error, warn, info, debug$/);
  });

  it("decodeKey reads Go's std base64 of an AES size, naming the flag when it cannot", () => {
    assert.equal(decodeKey(Buffer.alloc(32, 7).toString("base64")).length, 32);
    usage(() => decodeKey("not*base64", "gossip-key"), /^--gossip-key: "not\*base64" is not standard base64 \(illegal base64 data at input byte 3\)$/);
    usage(() => decodeKey(Buffer.from("short").toString("base64")), /^--key: a key must be 16, 24 or 32 bytes .* not 5$/);
  });

  it("joinListFlag splits each --join on commas and drops blanks", () => {
    assert.deepEqual(joinListFlag(["10.0.0.1, 10.0.0.2:7947", ",", "10.0.0.3"]), ["10.0.0.1", "10.0.0.2:7947", "10.0.0.3"]);
    assert.deepEqual(joinListFlag(undefined), []);
  });

  it("parseFlagsOnly turns node's refusals into a UsageError and keeps the values typed", () => {
    const options = { port: { type: "string" }, verbose: { type: "boolean" } } as const;
    assert.deepEqual({ ...parseFlagsOnly(["--port", "1", "--verbose"], options) }, { port: "1", verbose: true });
    usage(() => parseFlagsOnly(["--nope"], options), /^Unknown option '--nope'/);
    usage(() => parseFlagsOnly(["stray"], options), /^Unexpected argument 'stray'/);
  });

  it("one UsageError: an Error, named for what it is", () => {
    const err = new UsageError("x");
    assert.ok(err instanceof Error);
    assert.equal(err.name, "UsageError");
  });
});

describe("cnmd's flags", () => {
  it("defaults: the default data root, socket and prefix; another data root gets its own prefix", () => {
    const config = parseDaemonArgs([]);
    assert.notEqual(config, "help");
    if (config === "help") return;
    assert.deepEqual([config.dataRoot, config.socket, config.prefix, config.logLevel, config.purge], ["/var/lib/cnm", "/run/cnm/cnm.sock", "cnm", "info", false]);
    assert.equal(config.cluster, undefined);
    const other = parseDaemonArgs(["--data-root", "/tmp/cnm-x"]);
    assert.ok(other !== "help" && other.prefix === defaultPrefix("/tmp/cnm-x") && /^c[0-9a-f]{5}$/.test(other.prefix));
  });

  it("cluster flags: keys decoded, --join lists split, the bind address defaulting to the advertised one", () => {
    const key = Buffer.alloc(16, 1).toString("base64");
    const config = parseDaemonArgs(["--cluster-store", "etcd://127.0.0.1:2379", "--advertise-addr", "10.0.0.1", "--join", "10.0.0.2,10.0.0.3", "--gossip-key", key, "--node-name", "h1"]);
    assert.ok(config !== "help" && config.cluster);
    assert.deepEqual(config.cluster.join, ["10.0.0.2", "10.0.0.3"]);
    assert.equal(config.cluster.bindAddr, "10.0.0.1");
    assert.equal(config.cluster.keys[0]!.length, 16);
  });

  it("refuses what cannot be run, with the flag named", () => {
    assert.equal(parseDaemonArgs(["-h"]), "help");
    usage(() => parseDaemonArgs(["--bogus"]), /^Unknown option '--bogus'/);
    usage(() => parseDaemonArgs(["--log-level", "loud"]), /^--log-level: "loud"/);
    usage(() => parseDaemonArgs(["--prefix", "Bad"]), /^--prefix: "Bad" must be 1-6 of \[a-z0-9\]/);
    usage(() => parseDaemonArgs(["--join", "10.0.0.2"]), /^--join needs --cluster-store$/);
    usage(() => parseDaemonArgs(["--cluster-store", "etcd://h:1", "--advertise-addr", "h"]), /^--advertise-addr: "h" is not an IP address$/);
    usage(() => parseDaemonArgs(["--cluster-store", "etcd://h:1", "--advertise-addr", "10.0.0.1", "--gossip-key", "abc"]), /^--gossip-key: "abc" is not standard base64/);
  });
});
