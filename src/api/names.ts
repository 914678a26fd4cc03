import { badRequest, printable } from "./http-errors.js";

/**
 * Names and references as the API accepts them. The controller checks
 * names too; checking here as well means hostile input is refused with a
 * message naming the field before any lock is taken or object touched.
 */

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const MAX_NAME_LENGTH = 128;

/** Network and sandbox names: what Docker allows for container names, bounded. */
export function checkObjectName(kind: string, name: string | null | undefined): string {
  if (name === undefined || name === null || name === "") throw badRequest(`${kind} name must not be empty`);
  if (name.length > MAX_NAME_LENGTH) throw badRequest(`invalid ${kind} name "${printable(name)}": longer than ${MAX_NAME_LENGTH} characters`);
  if (!NAME_RE.test(name)) {
    throw badRequest(`invalid ${kind} name "${printable(name)}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name;
}

/** Longest reference worth looking up: a 64-hex id, or a name of at most 128 characters. */
const MAX_REF_LENGTH = MAX_NAME_LENGTH;

/** A name, id or id prefix in a path or body: it can only match if it could be a name. */
export function checkRef(kind: string, ref: string | null | undefined): string {
  if (ref === undefined || ref === null || ref === "") throw badRequest(`${kind} name or id must not be empty`);
  if (ref.length > MAX_REF_LENGTH) throw badRequest(`invalid ${kind} reference "${printable(ref)}": longer than ${MAX_REF_LENGTH} characters`);
  if (!NAME_RE.test(ref)) throw badRequest(`invalid ${kind} reference "${printable(ref)}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return ref;
}

// One DNS label: letters, digits, hyphens, and (as Docker tolerates) underscores.
const LABEL = "[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?";
const DNS_NAME_RE = new RegExp(`^${LABEL}(\\.${LABEL})*\\.?$`);

/**
 * Host names, domain names, aliases and search domains: they end up in the
 * sandbox's /etc/hosts and resolv.conf, so anything beyond DNS characters
 * (spaces, newlines) could forge lines there.
 */
export function checkDnsName(what: string, name: string): string {
  if (name.length === 0 || name.length > 253 || !DNS_NAME_RE.test(name)) {
    throw badRequest(`invalid ${what} "${printable(name)}": not a valid DNS name`);
  }
  return name;
}
