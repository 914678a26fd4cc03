// What the running kernel was built with, from /proc/config.gz (present when
// the kernel has CONFIG_IKCONFIG_PROC). Used to tell users why a feature is
// refused instead of passing on a bare EOPNOTSUPP.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

let cached: Map<string, string> | null | undefined;

function load(): Map<string, string> | null {
  try {
    const text = gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
    const options = new Map<string, string>();
    for (const line of text.split("\n")) {
      const m = /^(CONFIG_[A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) options.set(m[1]!, m[2]!);
    }
    return options;
  } catch {
    // Unreadable (ENOENT without CONFIG_IKCONFIG_PROC, or corrupt): "cannot tell", which is
    // what null means. It only refines the message of an error being reported already.
    return null;
  }
}

/**
 * "y", "m" or another value when the option is set; "n" when the kernel's
 * configuration is readable and does not set it; undefined when it cannot be
 * read (no /proc/config.gz).
 */
export function kernelConfigOption(name: `CONFIG_${string}`): string | undefined {
  if (cached === undefined) cached = load();
  if (cached === null) return undefined;
  return cached.get(name) ?? "n";
}
