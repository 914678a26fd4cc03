import { randomBytes } from "node:crypto";

/** A 64-hex-digit id like Docker's network and endpoint ids. */
export function newId(): string {
  return randomBytes(32).toString("hex");
}

/** The 12-digit short form users see in listings. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Names as Docker accepts them: no path separators, no control characters, bounded length. */
export function validateName(kind: string, name: string): string | undefined {
  if (typeof name !== "string" || name.length === 0) return `${kind} name must not be empty`;
  if (name.length > 128) return `${kind} name is longer than 128 characters`;
  if (!NAME_RE.test(name)) return `invalid ${kind} name "${printable(name)}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`;
  return undefined;
}

/** Shows a user-supplied string safely in an error message. */
export function printable(s: string): string {
  const escaped = JSON.stringify(s.length > 64 ? s.slice(0, 64) + "…" : s);
  return escaped.slice(1, -1);
}
