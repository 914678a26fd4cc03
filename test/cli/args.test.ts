// The argument parser, without a daemon.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FlagSpec, listFlag, parseArgs, stringFlag, boolFlag, UsageError } from "../../src/cli/args.js";
import { checkArity, helpText, usageLine } from "../../src/cli/command.js";
import { COMMANDS } from "../../src/cli/main.js";

const specs: FlagSpec[] = [
  { name: "driver", short: "d", type: "string", description: "" },
  { name: "subnet", type: "string", multiple: true, description: "" },
  { name: "internal", type: "boolean", description: "" },
  { name: "quiet", short: "q", type: "boolean", description: "" },
  { name: "force", short: "f", type: "boolean", description: "" },
];

describe("parseArgs", () => {
  it("reads long flags with a separate or an = value, and positionals anywhere", () => {
    const a = parseArgs(["--driver", "bridge", "net1", "--subnet=10.1.0.0/24", "--subnet", "fd00::/64", "--internal"], specs);
    assert.equal(stringFlag(a, "driver"), "bridge");
    assert.deepEqual(listFlag(a, "subnet"), ["10.1.0.0/24", "fd00::/64"]);
    assert.equal(boolFlag(a, "internal"), true);
    assert.deepEqual(a.positionals, ["net1"]);
    assert.equal(a.rest, undefined);
  });

  it("reads short flags: separate value, attached value, = value, and combined booleans", () => {
    assert.equal(stringFlag(parseArgs(["-d", "macvlan"], specs), "driver"), "macvlan");
    assert.equal(stringFlag(parseArgs(["-dmacvlan"], specs), "driver"), "macvlan");
    assert.equal(stringFlag(parseArgs(["-d=macvlan"], specs), "driver"), "macvlan");
    const combined = parseArgs(["-qf"], specs);
    assert.equal(boolFlag(combined, "quiet"), true);
    assert.equal(boolFlag(combined, "force"), true);
    const boolThenString = parseArgs(["-qd", "host"], specs);
    assert.equal(boolFlag(boolThenString, "quiet"), true);
    assert.equal(stringFlag(boolThenString, "driver"), "host");
  });

  it("takes --flag=false for booleans and rejects other values", () => {
    assert.equal(boolFlag(parseArgs(["--internal=false"], specs), "internal"), false);
    assert.equal(boolFlag(parseArgs(["--internal=true"], specs), "internal"), true);
    assert.throws(() => parseArgs(["--internal=maybe"], specs), /invalid argument "maybe" for "--internal" flag/);
  });

  it("keeps everything after -- apart", () => {
    const a = parseArgs(["web", "--", "ip", "-br", "addr"], specs);
    assert.deepEqual(a.positionals, ["web"]);
    assert.deepEqual(a.rest, ["ip", "-br", "addr"]);
  });

  it("stops at the first positional when asked (exec's command keeps its own flags)", () => {
    const a = parseArgs(["web", "ip", "-br", "--internal"], specs, { stopAtFirstPositional: true });
    assert.deepEqual(a.positionals, ["web", "ip", "-br", "--internal"]);
    assert.equal(a.flags.size, 0);
  });

  it("rejects unknown flags, missing values and repeated single-value flags with docker's words", () => {
    const usage = (argv: string[], re: RegExp) => assert.throws(() => parseArgs(argv, specs), (e: unknown) => e instanceof UsageError && re.test(e.message));
    usage(["--bogus"], /^unknown flag: --bogus$/);
    usage(["-x"], /^unknown shorthand flag: 'x' in -x$/);
    usage(["--driver"], /^flag needs an argument: --driver$/);
    usage(["-d"], /^flag needs an argument: 'd' in -d$/);
    usage(["-d", "a", "--driver", "b"], /given more than once/);
  });

  it("always knows --help", () => {
    assert.equal(boolFlag(parseArgs(["--help"], []), "help"), true);
  });
});

describe("commands", () => {
  it("every command has a usage line, help that lists each of its flags, and arity checks", () => {
    const paths = COMMANDS.map((c) => c.path.join(" "));
    for (const want of ["network create", "network ls", "network inspect", "network rm", "network connect", "network disconnect", "network prune", "sandbox create", "sandbox ls", "sandbox inspect", "sandbox rm", "sandbox exec", "demo"]) {
      assert.ok(paths.includes(want), want);
    }
    for (const c of COMMANDS) {
      assert.match(usageLine(c), new RegExp(`^Usage:  cnm ${c.path.join(" ")}`));
      const help = helpText(c);
      for (const f of c.flags) assert.ok(help.includes(`--${f.name}`), `${c.path.join(" ")} help lists --${f.name}`);
      assert.ok(help.includes("--help"));
    }
  });

  it("checkArity names the command and the count", () => {
    const connect = COMMANDS.find((c) => c.path.join(" ") === "network connect")!;
    assert.throws(() => checkArity(connect, parseArgs(["net"], connect.flags)), /"cnm network connect" requires exactly 2 arguments, got 1/);
    const rm = COMMANDS.find((c) => c.path.join(" ") === "network rm")!;
    assert.throws(() => checkArity(rm, parseArgs([], rm.flags)), /requires at least 1 argument, got 0/);
    const ls = COMMANDS.find((c) => c.path.join(" ") === "network ls")!;
    assert.throws(() => checkArity(ls, parseArgs(["x"], ls.flags)), /"cnm network ls" accepts no arguments$/);
    checkArity(rm, parseArgs(["a", "b", "c"], rm.flags));
  });
});
