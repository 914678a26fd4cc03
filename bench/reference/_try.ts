// A stand-alone driver for the reference side, to try it and to report its figures:
//   node --expose-gc dist/bench/reference/_try.js [n] [cni|netavark|both]
// Prints progress and summaries, and ends with one line of JSON.
import { randomBytes } from "node:crypto";
import { measureCni } from "./cni.js";
import { ensureReferenceTools, packageVersion } from "./install.js";
import { measureNetavark, netavarkVersion, firewallFor } from "./netavark.js";
import { roundSummary, summary, type Summary } from "./stats.js";

const n = Number(process.argv[2] ?? 100);
const which = process.argv[3] ?? "both";
const prefix = `rb${randomBytes(2).toString("hex")}`;
// Addresses are configured only; no packet is sent to them.
const subnet = n + 2 <= 254 ? "10.213.0.0/24" : "10.213.0.0/16";

const tools = await ensureReferenceTools();
const version = await netavarkVersion(tools.netavark);
const cniVersion = await packageVersion("containernetworking-plugins");
console.log(`prefix ${prefix}, subnet ${subnet}, n=${n}; containernetworking-plugins ${cniVersion}; netavark ${version} with firewall driver ${firewallFor(version)}`);

const figures: Record<string, { add: Summary; del: Summary }> = {};
if (which === "both" || which === "cni") {
  const r = await measureCni({ n, prefix, subnet, pluginDir: tools.cni });
  figures["cni"] = { add: roundSummary(summary(r.addMs)), del: roundSummary(summary(r.delMs)) };
  console.log("cni add ms", figures["cni"].add);
  console.log("cni del ms", figures["cni"].del);
}
if (which === "both" || which === "netavark") {
  const r = await measureNetavark({ n, prefix, subnet, binary: tools.netavark });
  figures["netavark"] = { add: roundSummary(summary(r.addMs)), del: roundSummary(summary(r.delMs)) };
  console.log("netavark add ms", figures["netavark"].add);
  console.log("netavark del ms", figures["netavark"].del);
}
console.log(JSON.stringify({ n, cniPluginsVersion: cniVersion, netavarkVersion: version, ...figures }));
