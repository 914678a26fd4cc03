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

export function httpStatusOf(err: unknown): number {
  return err instanceof CnmError ? err.status : 500;
}
