import { isIP } from "node:net";
import { UsageError } from "./usage-error.js";

/** The value of an address flag that must be an IP literal (memberlist binds and advertises IPs, not names). */
export function ipAddressFlag(flag: string, text: string): string {
  if (isIP(text) === 0) throw new UsageError(`--${flag}: "${text}" is not an IP address`);
  return text;
}

/** The members of a repeatable --join, each value a comma-separated list ("a,b:7946"), blanks dropped. */
export function joinListFlag(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((list) => list.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
