// cnm's global flags (before the command) and the parser's docker readings
// that node:util's strict mode would refuse, without a daemon.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FlagSpec, listFlag, parseArgs, stringFlag, boolFlag } from "../../src/cli/args.js";
import { runCli } from "../../src/cli/main.js";

/** Runs cnm with no daemon behind it; collects what it printed. */
async function cnm(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    env: { CNM_HOST: "unix:///nonexistent/cnm-global-flags-test.sock" },
    io: { out: (t) => out.push(t), err: (t) => err.push(t) },
    confirm: async () => false,
  });
  return { code, out, err };
}

describe("global flags", () => {
  it("--version, -v, --help and -h answer without a daemon", async () => {
    for (const flag of ["--version", "-v"]) assert.deepEqual(await cnm([flag]), { code: 0, out: ["cnm version 0.1.0"], err: [] });
    for (const flag of ["--help", "-h"]) {
      const r = await cnm([flag]);
      assert.equal(r.code, 0);
      assert.match(r.out[0]!, /^Usage:  cnm \[OPTIONS\] COMMAND\n/);
    }
  });

  it("--host, --host=, -H and -H= name the daemon; the command's flags are the command's", async () => {
    for (const argv of [["--host", "/nonexistent/a.sock"], ["--host=/nonexistent/a.sock"], ["-H", "/nonexistent/a.sock"], ["-H=/nonexistent/a.sock"]]) {
      const r = await cnm([...argv, "network", "ls", "-q"]);
      assert.equal(r.code, 1, argv.join(" "));
      assert.deepEqual(r.err, ["cnm: cannot connect to the cnm daemon at unix:///nonexistent/a.sock: is cnmd running?"]);
    }
  });

  it("refuses unknown global flags and a --host without a value, exit 2", async () => {
    const cases: [string[], string][] = [
      [["--bogus", "network", "ls"], "cnm: unknown flag: --bogus"],
      [["-x"], "cnm: unknown shorthand flag: 'x' in -x"],
      [["--host"], "cnm: flag needs an argument: --host"],
      [["-H"], "cnm: flag needs an argument: 'H' in -H"],
      [["-H", "/a.sock", "-H", "/b.sock", "network", "ls"], "cnm: flag -H given more than once"],
    ];
    for (const [argv, message] of cases) assert.deepEqual(await cnm(argv), { code: 2, out: [], err: [message] }, argv.join(" "));
  });
});

describe("parseArgs: docker's readings", () => {
  const specs: FlagSpec[] = [
    { name: "driver", short: "d", type: "string", description: "" },
    { name: "gw-priority", type: "string", description: "" },
    { name: "opt", short: "o", type: "string", multiple: true, description: "" },
    { name: "quiet", short: "q", type: "boolean", description: "" },
  ];

  it("a value may start with a dash, or be empty", () => {
    assert.equal(stringFlag(parseArgs(["--gw-priority", "-1"], specs), "gw-priority"), "-1");
    assert.equal(stringFlag(parseArgs(["-d", "--"], specs), "driver"), "--");
    assert.equal(stringFlag(parseArgs(["--driver="], specs), "driver"), "");
  });

  it("repeatable short flags with attached, = and separate values, in order", () => {
    assert.deepEqual(listFlag(parseArgs(["-oa=1", "-o=b=2", "-o", "c=3", "--opt", "d=4", "--opt=e=5"], specs), "opt"), ["a=1", "b=2", "c=3", "d=4", "e=5"]);
  });

  it("a cluster ending in a valued flag, and an unknown letter named with its cluster", () => {
    const a = parseArgs(["-qo", "k=v", "net"], specs);
    assert.equal(boolFlag(a, "quiet"), true);
    assert.deepEqual(listFlag(a, "opt"), ["k=v"]);
    assert.deepEqual(a.positionals, ["net"]);
    assert.throws(() => parseArgs(["-qz"], specs), /^UsageError: unknown shorthand flag: 'z' in -qz$/);
  });

  it("-- before the first positional keeps everything after it apart, also when stopping at the first positional", () => {
    const a = parseArgs(["-q", "--", "-d", "x"], specs, { stopAtFirstPositional: true });
    assert.deepEqual([a.positionals, a.rest], [[], ["-d", "x"]]);
    const exec = parseArgs(["web", "--", "ls", "-l"], specs, { stopAtFirstPositional: true });
    assert.deepEqual([exec.positionals, exec.rest], [["web", "--", "ls", "-l"], undefined]);
  });
});
