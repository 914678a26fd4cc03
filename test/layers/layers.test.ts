// The layer rules of .dependency-cruiser.cjs, run over src/ as part of the
// suite: a wrong import fails it, naming the rule. A second test runs the
// same rules over a small tree with known wrong imports, so a rule that
// silently matches nothing (a path typo) fails too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const root = process.cwd();
const cruiser = join(root, "node_modules", ".bin", "depcruise");
const config = join(root, ".dependency-cruiser.cjs");

function cruise(cwd: string): { status: number | null; output: string } {
  const r = spawnSync(cruiser, ["src", "--config", config, "--output-type", "err"], { cwd, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test("src/ keeps every layer rule", () => {
  const { status, output } = cruise(root);
  assert.equal(status, 0, `layer rules broken:\n${output}`);
});

test("the rules catch wrong imports, naming the rule", () => {
  const dir = mkdtempSync(join(tmpdir(), "cnm-layers-"));
  try {
    const files: Record<string, string> = {
      "tsconfig.json": JSON.stringify({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true } }),
      "package.json": JSON.stringify({ type: "module" }),
      "src/controller/index.ts": 'export { inner } from "./inner.js";\n',
      "src/controller/inner.ts": "export const inner = 1;\n",
      // A driver reaching into the controller, past its door.
      "src/drivers/bad/driver.ts": 'import { inner } from "../../controller/inner.js";\nexport const d = inner;\n',
      // networkdb importing the rest of cnm.
      "src/networkdb/node.ts": 'import { prefix } from "../inet/prefix.js";\nexport const n = prefix;\n',
      "src/inet/prefix.ts": "export const prefix = 0;\n",
      // Two modules in a circle.
      "src/ipam/a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
      "src/ipam/b.ts": 'import { a } from "./a.js";\nexport const b = () => a;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(resolve(dir, path)), { recursive: true });
      writeFileSync(resolve(dir, path), text);
    }
    const { status, output } = cruise(dir);
    assert.notEqual(status, 0, output);
    for (const rule of ["drivers-below-the-controller", "controller-through-its-door", "networkdb-stands-alone", "no-circular"]) {
      assert.match(output, new RegExp(`error ${rule}:`), `rule ${rule} did not fire:\n${output}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
