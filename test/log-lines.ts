// A Logger (cnm's, or networkdb's: the same four methods) that keeps each
// line as "level message", for tests that check what a best-effort step said.
import type { Logger } from "../src/log/index.js";

export function collectingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (msg: string) => void lines.push(`${level} ${msg}`);
  return { lines, error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}
