/**
 * Error classes shared by every layer. Each carries the HTTP status an API
 * would answer with, so the daemon can map any failure without string matching
 * (the same idea as libnetwork's types package: BadRequest, NotFound, ...).
 */
export abstract class CnmError extends Error {
  abstract readonly status: 400 | 403 | 404 | 409 | 500 | 501 | 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller asked for something malformed or contradictory. */
export class InvalidParameterError extends CnmError {
  readonly status = 400;
}

/** The object named does not exist. */
export class NotFoundError extends CnmError {
  readonly status = 404;
}

/** The request is well formed but conflicts with existing state (name taken, still in use). */
export class ConflictError extends CnmError {
  readonly status = 409;
}

/** The operation is not allowed on this object (e.g. deleting a predefined network). */
export class ForbiddenError extends CnmError {
  readonly status = 403;
}

/** The driver or IPAM does not implement what was asked. */
export class NotImplementedError extends CnmError {
  readonly status = 501;
}

/** A resource ran out: addresses, ports, bridge ports. */
export class ExhaustedError extends CnmError {
  readonly status = 503;
}

/** A service cnm depends on (the cluster store) cannot be reached; retrying later may succeed. */
export class UnavailableError extends CnmError {
  readonly status = 503;
}

/** Something failed underneath (kernel, driver) that the caller could not have prevented. */
export class InternalError extends CnmError {
  readonly status = 500;
}

/**
 * An error from a layer that does not build on CnmError (the kernel's errno in
 * linux/, networkdb's and its wire layer's refusals) stating the status an API
 * answers it with. Read structurally: networkdb stands alone and imports
 * nothing of cnm, so it cannot extend CnmError. Not `status`: other errors
 * (fastify's, a plugin's answer) carry statuses that are not ours to repeat.
 */
export interface ApiStatusBearer {
  readonly apiStatus: number;
}

/** The status `err` declares (CnmError's, or an ApiStatusBearer's), undefined when it declares none. */
export function declaredStatusOf(err: unknown): number | undefined {
  if (err instanceof CnmError) return err.status;
  const s = typeof err === "object" && err !== null ? (err as Partial<ApiStatusBearer>).apiStatus : undefined;
  return typeof s === "number" && Number.isInteger(s) && s >= 400 && s <= 599 ? s : undefined;
}

/** The status an API answers `err` with: the one it declares, else 500 (a failure the caller could not have caused). */
export function httpStatusOf(err: unknown): number {
  return declaredStatusOf(err) ?? 500;
}
