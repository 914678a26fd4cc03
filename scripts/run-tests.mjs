// Runs every compiled test file under dist/test with Node's built-in runner.
// Node 20's `node --test` takes no globs, so the files are listed here.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect("dist/test")
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// A test that hangs fails after 5 minutes instead of holding the run until CI's
// limit (the longest test takes about one); and a file whose failed test left a
// socket open exits once its tests and hooks are done, so the failure is what
// the run reports rather than a stall.
const result = spawnSync(process.execPath, ["--test", "--test-reporter=spec", "--test-timeout=300000", "--test-force-exit", ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
