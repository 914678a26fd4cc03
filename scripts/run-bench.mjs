// `npm run bench -- <name>` runs dist/bench/<name>.js; without a name it lists them.
import { existsSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";

const [name, ...rest] = process.argv.slice(2);
const available = readdirSync("dist/bench").filter((f) => f.endsWith(".js") && !f.startsWith("_")).map((f) => f.slice(0, -3));
if (!name || !existsSync(`dist/bench/${name}.js`)) {
  console.error(`usage: npm run bench -- <${available.join("|")}>`);
  process.exit(name ? 1 : 0);
}
const result = spawnSync(process.execPath, ["--expose-gc", `dist/bench/${name}.js`, ...rest], { stdio: "inherit" });
process.exit(result.status ?? 1);
