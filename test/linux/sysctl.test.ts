// sysctls in the host and inside a namespace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { LinuxError, sysctlGet, sysctlPath, sysctlSet } from "../../src/linux/index.js";
import { Cleanup, uniquePrefix } from "./helpers.js";

test("keys: dotted, slashed and component forms", () => {
  assert.equal(sysctlPath("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  assert.equal(sysctlPath("net/ipv4/conf/eth0.100/rp_filter"), "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
  assert.equal(sysctlPath("/proc/sys/net/ipv4/ip_forward"), "/proc/sys/net/ipv4/ip_forward");
  assert.equal(sysctlPath(["net", "ipv4", "conf", "br-x.1", "route_localnet"]), "/proc/sys/net/ipv4/conf/br-x.1/route_localnet");
  assert.throws(() => sysctlPath("net/../../etc/passwd"), TypeError);
  assert.throws(() => sysctlPath(["net", "a/b"]), TypeError);
});

test("per-namespace values are independent of the host's", () => {
  const cleanup = new Cleanup();
  try {
    const ns = uniquePrefix() + "ns";
    const path = cleanup.netns(ns);
    const h = cleanup.handle(path);
    h.linkAdd({ kind: "bridge", name: "br-s.1" });

    const hostForwarding = sysctlGet("net.ipv4.conf.all.forwarding");
    sysctlSet("net.ipv4.conf.all.forwarding", hostForwarding === "1" ? 0 : 1, { namespace: path });
    const inside = sysctlGet("net.ipv4.conf.all.forwarding", { namespace: path });
    assert.notEqual(inside, hostForwarding);
    assert.equal(sysctlGet("net.ipv4.conf.all.forwarding"), hostForwarding, "host unchanged");
    const viaIp = execFileSync("ip", ["netns", "exec", ns, "cat", "/proc/sys/net/ipv4/conf/all/forwarding"], { encoding: "utf8" });
    assert.equal(viaIp.trim(), inside);

    // An interface with a dot in its name, reached with the component form.
    const key = ["net", "ipv4", "conf", "br-s.1", "route_localnet"];
    assert.equal(sysctlGet(key, { namespace: path }), "0");
    sysctlSet(key, 1, { namespace: path });
    assert.equal(sysctlGet(key, { namespace: path }), "1");
    sysctlSet("net.ipv6.conf.all.disable_ipv6", 0, { namespace: path });
    assert.equal(sysctlGet("net.ipv6.conf.all.disable_ipv6", { namespace: path }), "0");
    // The bridge does not exist in the host namespace.
    assert.throws(() => sysctlGet(key), (e: unknown) => e instanceof LinuxError && e.code === "ENOENT");
    assert.throws(
      () => sysctlSet("net.ipv4.no_such_key", 1, { namespace: path }),
      (e: unknown) => e instanceof LinuxError && e.code === "ENOENT" && e.message.includes(path),
    );
  } finally {
    cleanup.run();
  }
});

test("host sysctl round trip (value written back unchanged)", () => {
  const before = sysctlGet("net.ipv4.ip_forward");
  sysctlSet("net.ipv4.ip_forward", before);
  assert.equal(sysctlGet("net.ipv4.ip_forward"), before);
  assert.match(before, /^[01]$/);
});
