// Named network namespaces: created and deleted through the addon, checked
// with iproute2; errors leave the process in its own namespace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { netns, NetlinkHandle, LinuxError, NETNS_RUN_DIR } from "../../src/linux/index.js";
import { Cleanup, ipJson, threadNetns, uniquePrefix } from "./helpers.js";

test("create: visible to `ip netns`, usable by `ip netns exec`, only lo inside", () => {
  const name = uniquePrefix() + "ns";
  const cleanup = new Cleanup();
  const hostNs = threadNetns();
  try {
    const path = cleanup.netns(name);
    assert.equal(path, `${NETNS_RUN_DIR}/${name}`);
    assert.equal(threadNetns(), hostNs, "the calling thread stays in its namespace");
    assert.ok(netns.exists(name));
    assert.ok(netns.list().includes(name));
    const listed = ipJson<{ name: string }[]>("netns", "list");
    assert.ok(listed.some((n) => n.name === name), "ip netns list shows it");
    // A process entering it sees a different namespace with only lo.
    const inside = execFileSync("ip", ["netns", "exec", name, "readlink", "/proc/self/ns/net"], { encoding: "utf8" }).trim();
    assert.notEqual(inside, hostNs);
    const links = ipJson<{ ifname: string }[]>("-n", name, "link");
    assert.deepEqual(links.map((l) => l.ifname), ["lo"]);
    // A handle bound to it sees the same single, down loopback.
    const h = cleanup.handle(path);
    const seen = h.linkList();
    assert.deepEqual(seen.map((l) => [l.name, l.up]), [["lo", false]]);
    assert.equal(h.nsPath, path);
    h.linkSetUp("lo");
    assert.equal(h.linkGet("lo").up, true);
    assert.ok(ipJson<{ flags: string[] }[]>("-n", name, "link", "show", "lo")[0]!.flags.includes("UP"));
  } finally {
    cleanup.run();
  }
  assert.equal(netns.exists(name), false);
  assert.ok(!ipJson<{ name: string }[]>("netns", "list").some((n) => n.name === name));
});

test("a namespace made by `ip netns add` is usable here, and ours deletes like theirs", () => {
  const name = uniquePrefix() + "ip";
  try {
    execFileSync("ip", ["netns", "add", name]);
    assert.ok(netns.list().includes(name));
    const h = NetlinkHandle.open(netns.path(name));
    try {
      assert.deepEqual(h.linkList().map((l) => l.name), ["lo"]);
    } finally {
      h.close();
    }
    netns.delete(name);
    assert.ok(!ipJson<{ name: string }[]>("netns", "list").some((n) => n.name === name));
  } finally {
    netns.delete(name, { missingOk: true });
  }
});

test("create twice: EEXIST and the first namespace is left intact", () => {
  const name = uniquePrefix() + "dup";
  const cleanup = new Cleanup();
  const hostNs = threadNetns();
  try {
    const path = cleanup.netns(name);
    const h = cleanup.handle(path);
    h.linkAdd({ kind: "bridge", name: "keepme" });
    assert.throws(
      () => netns.create(name),
      (e: unknown) => e instanceof LinuxError && e.code === "EEXIST" && e.message.includes(name),
    );
    assert.equal(threadNetns(), hostNs);
    // Still the same namespace, still mounted: a fresh handle finds the dummy.
    const again = cleanup.handle(path);
    assert.ok(again.linkFind("keepme"));
  } finally {
    cleanup.run();
  }
});

test("delete: ENOENT when absent unless missingOk; names are validated", () => {
  const name = uniquePrefix() + "gone";
  assert.throws(() => netns.delete(name), (e: unknown) => e instanceof LinuxError && e.code === "ENOENT");
  netns.delete(name, { missingOk: true });
  assert.throws(() => netns.create("../etc"), TypeError);
  assert.throws(() => netns.path(""), TypeError);
  assert.equal(existsSync(`${NETNS_RUN_DIR}/${name}`), false);
});

test("a bad namespace path throws and leaves the thread in the host namespace", () => {
  const before = threadNetns();
  assert.throws(
    () => NetlinkHandle.open(`${NETNS_RUN_DIR}/${uniquePrefix()}-missing`),
    (e: unknown) => e instanceof LinuxError && e.code === "ENOENT" && e.message.includes("-missing"),
  );
  assert.equal(threadNetns(), before);
  // A file that is not a namespace: setns fails with EINVAL.
  assert.throws(() => NetlinkHandle.open("/etc/hostname"), (e: unknown) => e instanceof LinuxError && e.code === "EINVAL");
  assert.equal(threadNetns(), before);
  // And the process still talks to the host stack.
  const h = NetlinkHandle.open();
  try {
    assert.ok(h.linkList().some((l) => l.name === "lo"));
  } finally {
    h.close();
  }
});
