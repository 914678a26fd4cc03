import { InvalidParameterError, NotFoundError } from "../errors.js";

/**
 * Finds an object by full id, exact name, or unique id prefix: the order
 * Docker resolves references in.
 */
export function resolveRef<T extends { id: string; name: string }>(kind: string, ref: string, all: Iterable<T>): T {
  if (typeof ref !== "string" || ref.length === 0) throw new InvalidParameterError(`${kind} reference must not be empty`);
  const items = [...all];
  const byId = items.find((x) => x.id === ref);
  if (byId) return byId;
  const byName = items.find((x) => x.name === ref);
  if (byName) return byName;
  const byPrefix = items.filter((x) => x.id.startsWith(ref));
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) throw new InvalidParameterError(`${kind} ${ref} is ambiguous (${byPrefix.length} matches)`);
  throw new NotFoundError(`${kind} ${ref} not found`);
}
