// Flag value syntax (ports, hosts, IPAM pairing, filters), tables and hosts, without a daemon.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { buildIpamConfig, parseAddHost, parseFilters, parseKeyValues, parsePublish } from "../../src/cli/flag-values.js";
import { DEFAULT_HOST, parseHost, resolveHost } from "../../src/cli/host.js";
import { exitCodeOf, netnsArgv } from "../../src/cli/netns-exec.js";
import { formatPorts } from "../../src/cli/sandbox-commands.js";
import { formatFields, formatTable } from "../../src/cli/table.js";

const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof UsageError && re.test(e.message));

describe("buildIpamConfig", () => {
  it("pairs ranges, gateways and aux addresses with the subnet that contains them, v4 and v6", () => {
    const cfg = buildIpamConfig(
      ["10.10.0.0/16", "fd00:1::/64"],
      ["fd00:1::/80", "10.10.1.0/24"],
      ["fd00:1::1", "10.10.0.1"],
      ["r1=10.10.0.5", "r6=fd00:1::5"],
    );
    assert.deepEqual(cfg, [
      { Subnet: "10.10.0.0/16", IPRange: "10.10.1.0/24", Gateway: "10.10.0.1", AuxiliaryAddresses: { r1: "10.10.0.5" } },
      { Subnet: "fd00:1::/64", IPRange: "fd00:1::/80", Gateway: "fd00:1::1", AuxiliaryAddresses: { r6: "fd00:1::5" } },
    ]);
    assert.deepEqual(buildIpamConfig([], [], [], []), []);
  });

  it("rejects what docker rejects, with its messages", () => {
    usage(() => buildIpamConfig([], [], ["10.0.0.1"], []), /every ip-range or gateway must have a corresponding subnet/);
    usage(() => buildIpamConfig([], ["10.0.0.0/24"], [], []), /every ip-range or gateway must have a corresponding subnet/);
    usage(() => buildIpamConfig(["10.0.0.0/24"], [], ["10.0.1.1"], []), /no matching subnet for gateway 10.0.1.1/);
    usage(() => buildIpamConfig(["10.0.0.0/24"], ["10.0.0.0/16"], [], []), /no matching subnet for range 10.0.0.0\/16/);
    usage(() => buildIpamConfig(["10.0.0.0/24", "10.1.0.0/24"], ["10.0.0.0/25", "10.0.0.128/25"], [], []), /cannot configure multiple ranges/);
    usage(() => buildIpamConfig(["10.0.0.0/24", "10.1.0.0/24"], [], ["10.0.0.1", "10.0.0.2"], []), /cannot configure multiple gateways/);
    usage(() => buildIpamConfig(["10.0.0.0/24"], [], [], ["a=10.9.9.9"]), /no matching subnet for aux-address 10.9.9.9/);
    usage(() => buildIpamConfig(["10.0.0.0/24"], [], [], ["10.0.0.9"]), /expected key=value/);
    usage(() => buildIpamConfig(["10.0.0.0/16", "10.0.1.0/24"], [], [], []), /subnets 10.0.0.0\/16 and 10.0.1.0\/24 overlap/);
    usage(() => buildIpamConfig(["10.0.0.0/33"], [], [], []), /invalid CIDR address for --subnet: 10.0.0.0\/33/);
    usage(() => buildIpamConfig(["banana"], [], [], []), /invalid CIDR address for --subnet: banana/);
    usage(() => buildIpamConfig(["10.0.0.0/24"], [], ["10.0.0.300"], []), /invalid IP address for --gateway/);
  });
});

describe("parsePublish", () => {
  it("reads docker's -p forms", () => {
    assert.deepEqual(parsePublish(["8080:80"]), { "80/tcp": [{ HostIp: "", HostPort: "8080" }] });
    assert.deepEqual(parsePublish(["127.0.0.1:8080:80/udp"]), { "80/udp": [{ HostIp: "127.0.0.1", HostPort: "8080" }] });
    assert.deepEqual(parsePublish(["127.0.0.1::80"]), { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] });
    assert.deepEqual(parsePublish(["53"]), { "53/tcp": [{ HostIp: "", HostPort: "" }] });
    assert.deepEqual(parsePublish(["[::1]:8080:80/sctp"]), { "80/sctp": [{ HostIp: "::1", HostPort: "8080" }] });
    assert.deepEqual(parsePublish(["8000-8001:80-81"]), {
      "80/tcp": [{ HostIp: "", HostPort: "8000" }],
      "81/tcp": [{ HostIp: "", HostPort: "8001" }],
    });
    assert.deepEqual(parsePublish(["8000-8010:80"]), { "80/tcp": [{ HostIp: "", HostPort: "8000-8010" }] });
    // Two bindings of one container port accumulate.
    assert.deepEqual(parsePublish(["8080:80", "[::1]:8081:80"]), {
      "80/tcp": [
        { HostIp: "", HostPort: "8080" },
        { HostIp: "::1", HostPort: "8081" },
      ],
    });
  });

  it("rejects bad ports, protocols, addresses and mismatched ranges", () => {
    usage(() => parsePublish(["8080:0"]), /invalid port "0"/);
    usage(() => parsePublish(["70000:80"]), /invalid port "70000"/);
    usage(() => parsePublish(["8080:80/icmp"]), /unknown protocol "icmp"/);
    usage(() => parsePublish(["1.2.3:8080:80"]), /"1.2.3" is not an IP address/);
    usage(() => parsePublish(["8000-8002:80-81"]), /ranges differ in length/);
    usage(() => parsePublish(["abc"]), /invalid port "abc"/);
    usage(() => parsePublish(["[1.2.3.4]:1:2"]), /is not an IPv6 address/);
  });
});

describe("small value parsers", () => {
  it("key=value lists, filters and extra hosts", () => {
    assert.deepEqual(parseKeyValues(["a=1", "b=x=y", "c"], "label"), { a: "1", b: "x=y", c: "" });
    usage(() => parseKeyValues(["=1"], "opt"), /expected key=value/);
    assert.deepEqual(parseFilters(["name=a", "name=b", "driver=bridge"]), { name: { a: true, b: true }, driver: { bridge: true } });
    usage(() => parseFilters(["name"]), /bad format of filter/);
    assert.equal(parseAddHost("db:10.0.0.5"), "db:10.0.0.5");
    assert.equal(parseAddHost("db6:fd00::5"), "db6:fd00::5");
    assert.equal(parseAddHost("db=10.0.0.5"), "db:10.0.0.5");
    usage(() => parseAddHost("db"), /expected name:ip/);
    usage(() => parseAddHost("db:notanip"), /expected name:ip/);
  });

  it("hosts: flag over CNM_HOST over the default; only unix sockets", () => {
    assert.equal(resolveHost(undefined, {}).url, DEFAULT_HOST);
    assert.equal(resolveHost(undefined, {}).socketPath, "/run/cnm/cnm.sock");
    assert.equal(resolveHost(undefined, { CNM_HOST: "unix:///tmp/a.sock" }).socketPath, "/tmp/a.sock");
    assert.equal(resolveHost("unix:///tmp/b.sock", { CNM_HOST: "unix:///tmp/a.sock" }).socketPath, "/tmp/b.sock");
    assert.equal(parseHost("/tmp/c.sock").url, "unix:///tmp/c.sock");
    usage(() => parseHost("tcp://127.0.0.1:2375"), /invalid host/);
    usage(() => parseHost("unix://"), /invalid host/);
  });

  it("exec argv and exit codes", () => {
    assert.deepEqual(netnsArgv("/run/netns/t1-ab", ["ip", "addr"]), ["nsenter", "--net=/run/netns/t1-ab", "--", "ip", "addr"]);
    assert.deepEqual(netnsArgv("/run/netns/t1-ab", ["ip", "addr"], "ip"), ["ip", "netns", "exec", "t1-ab", "ip", "addr"]);
    assert.deepEqual(netnsArgv(null, ["ip", "addr"]), ["ip", "addr"]);
    const withFiles = netnsArgv("/run/netns/t1-ab", ["cat", "/etc/hosts"], "nsenter", { hostsPath: "/h", resolvConfPath: "/r" });
    assert.deepEqual(withFiles.slice(0, 7), ["nsenter", "--net=/run/netns/t1-ab", "--", "unshare", "--mount", "--propagation", "private"]);
    assert.deepEqual(withFiles.slice(-5), ["cnm-exec", "/h", "/r", "cat", "/etc/hosts"]);
    assert.equal(exitCodeOf(3, null), 3);
    assert.equal(exitCodeOf(null, "SIGKILL"), 137);
    assert.equal(exitCodeOf(null, "SIGINT"), 130);
  });
});

describe("tables", () => {
  it("aligns columns like docker's: at least 10 wide, 3 spaces apart, no trailing spaces", () => {
    const lines = formatTable(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], [
      ["0123456789ab", "bridge", "bridge", "local"],
      ["ba9876543210", "a-much-longer-name", "null", "local"],
    ]);
    assert.deepEqual(lines, [
      "NETWORK ID     NAME                 DRIVER    SCOPE",
      "0123456789ab   bridge               bridge    local",
      "ba9876543210   a-much-longer-name   null      local",
    ]);
    assert.deepEqual(formatTable(["A", "B"], []), ["A         B"]);
  });

  it("fields and ports", () => {
    assert.deepEqual(formatFields([["Name", "x"], ["Attachable", "true"], ["Labels", ""]]), ["Name:       x", "Attachable: true", "Labels:"]);
    const ports = formatPorts({ Id: "", Name: "", Key: "", Ports: { "443/tcp": [{ HostIp: "::1", HostPort: "8443" }], "80/tcp": [{ HostIp: "0.0.0.0", HostPort: "8080" }], "53/udp": null } });
    assert.deepEqual(ports, ["53/udp", "0.0.0.0:8080->80/tcp", "[::1]:8443->443/tcp"]);
  });
});
