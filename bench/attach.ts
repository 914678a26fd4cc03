// Attach benchmark: connect + disconnect of sandboxes to one bridge network
// through cnm's library, against CNI's reference bridge plugin and netavark
// doing the same work (namespace made beforehand; veth, address, default
// route via the gateway, masquerade) on this machine in this run.
//
//   npm run bench -- attach [--n 100,1000] [--no-reference]
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { createLinuxController } from "../src/index.js";
import { ensureReferenceTools, measureCni, measureNetavark, percentile, median } from "./reference/index.js";

interface CnmRun {
  attachMs: number[];
  detachMs: number[];
}

function parseArgs(argv: string[]): { sizes: number[]; reference: boolean } {
  let sizes = [100, 1000];
  let reference = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--n") sizes = argv[++i]!.split(",").map(Number);
    else if (argv[i] === "--no-reference") reference = false;
  }
  return { sizes, reference };
}

function tenths(label: string, total: number): (done: number) => void {
  let next = 1;
  return (done) => {
    if (done * 10 >= next * total) {
      while (done * 10 >= next * total) next++;
      console.log(`[cnm] ${label} ${done}/${total}`);
    }
  };
}

async function measureCnm(n: number, subnet: string): Promise<CnmRun> {
  const prefix = `b${randomBytes(2).toString("hex")}`;
  const c = await createLinuxController({ prefix, runDir: `/run/cnm-bench/${prefix}`, watchFirewall: false });
  const result: CnmRun = { attachMs: [], detachMs: [] };
  try {
    await c.createNetwork({ name: "bench", ipam: { config: [{ subnet }] } });
    // Namespaces are made up front and untimed, as the reference runs do.
    for (let i = 0; i < n; i++) await c.createSandbox({ name: `s${i}` });
    const attached = tenths("attach", n);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await c.connect("bench", `s${i}`);
      result.attachMs.push(performance.now() - t0);
      attached(i + 1);
    }
    const detached = tenths("detach", n);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await c.disconnect("bench", `s${i}`);
      result.detachMs.push(performance.now() - t0);
      detached(i + 1);
    }
  } finally {
    await c.destroyAll();
    await c.close();
    rmSync(`/run/cnm-bench/${prefix}`, { recursive: true, force: true });
  }
  return result;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const { sizes, reference } = parseArgs(process.argv.slice(2));
  const figures: Record<string, number> = {};
  if (reference) await ensureReferenceTools((m: string) => console.log(`[setup] ${m}`));
  for (const n of sizes) {
    // A /21 holds 2046 addresses: room for 1000 sandboxes.
    console.log(`\n== N = ${n}`);
    const cnm = await measureCnm(n, "10.213.8.0/21");
    const p50 = median(cnm.attachMs);
    const p95 = percentile(cnm.attachMs, 95);
    console.log(`cnm attach p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms; detach p50 ${median(cnm.detachMs).toFixed(2)} ms`);
    const suffix = n === 100 ? "" : `_n${n}`;
    figures[`attach_p50_ms${suffix}`] = round(p50);
    figures[`attach_p95_ms${suffix}`] = round(p95);
    figures[`detach_p50_ms${suffix}`] = round(median(cnm.detachMs));
    figures[`detach_p95_ms${suffix}`] = round(percentile(cnm.detachMs, 95));
    if (n >= 200) {
      const first = median(cnm.attachMs.slice(0, 100));
      const last = median(cnm.attachMs.slice(-100));
      figures[`growth_${n}`] = round(last / first);
      console.log(`growth over ${n} attaches: median of the last 100 / first 100 = ${(last / first).toFixed(2)}`);
    }
    if (reference) {
      const cni = await measureCni({ n, prefix: `rc${randomBytes(2).toString("hex")}`, subnet: "10.214.8.0/21" });
      const nv = await measureNetavark({ n, prefix: `rn${randomBytes(2).toString("hex")}`, subnet: "10.215.8.0/21" });
      const cniP50 = median(cni.addMs);
      const nvP50 = median(nv.addMs);
      console.log(`CNI bridge ADD p50 ${cniP50.toFixed(2)} ms (DEL ${median(cni.delMs).toFixed(2)}); netavark setup p50 ${nvP50.toFixed(2)} ms (teardown ${median(nv.delMs).toFixed(2)})`);
      console.log(`cnm attach is ${(cniP50 / p50).toFixed(1)}x faster than CNI's ADD and ${(nvP50 / p50).toFixed(1)}x faster than netavark's setup`);
      figures[`cni_add_p50_ms${suffix}`] = round(cniP50);
      figures[`cni_del_p50_ms${suffix}`] = round(median(cni.delMs));
      figures[`netavark_setup_p50_ms${suffix}`] = round(nvP50);
      figures[`netavark_teardown_p50_ms${suffix}`] = round(median(nv.delMs));
      figures[`speedup_vs_cni${suffix}`] = round(cniP50 / p50);
      figures[`speedup_vs_netavark${suffix}`] = round(nvP50 / p50);
    }
  }
  console.log(JSON.stringify(figures));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
