import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { declaredStatusOf } from "../errors.js";

/**
 * An error with the HTTP status the API answers it with. Controller errors
 * (CnmError) already carry theirs; this is for what only the API knows:
 * malformed requests, oversized bodies, Docker's own wording for a case.
 * (Named apart from the CLI's ApiError, the error answer a client receives,
 * so that a reader of either never mistakes one for the other.)
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);
export const forbidden = (message: string): HttpError => new HttpError(403, message);
export const conflict = (message: string): HttpError => new HttpError(409, message);

/** Shows a user-supplied string in a message: at most 64 characters, control characters escaped. */
export function printable(s: string): string {
  const cut = s.length > 64 ? `${s.slice(0, 64)}…` : s;
  return JSON.stringify(cut).slice(1, -1);
}

/** What Docker sends for every failure: a status and `{"message": ...}`. */
export interface ErrorResponse {
  readonly status: number;
  readonly message: string;
}

/** The subset of an ajv error the messages are made from (fastify attaches these as `err.validation`). */
interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
  readonly data?: unknown;
}

interface FrameworkError {
  readonly code?: string;
  readonly statusCode?: number;
  readonly validation?: readonly SchemaError[];
  readonly validationContext?: string;
  readonly message: string;
}

/**
 * Maps anything a handler or fastify threw to a status and message: ours
 * and those that declare one (src/errors.ts's declaredStatusOf) keep their
 * status, schema failures are 400 with the field named, fastify's own
 * errors keep their 4xx, the rest is 500.
 */
export function errorResponse(err: unknown, bodyLimit: number): ErrorResponse {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  // The controller's errors, and the kernel's and networkdb's where the cause is the caller's.
  const declared = declaredStatusOf(err);
  if (declared !== undefined) return { status: declared, message: (err as Error).message };
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as FrameworkError;
  if (e.validation && e.validation.length > 0) {
    return { status: 400, message: validationMessage(e.validation[0]!, e.validationContext ?? "request") };
  }
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return { status: 413, message: `request body is larger than the limit of ${bodyLimit} bytes` };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 400, message: "malformed Content-Type header: no media type" };
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return { status: 400, message: "request body length does not match its Content-Length header" };
    case "FST_ERR_BAD_URL":
      return { status: 400, message: "malformed URL: invalid percent-encoding in the path" };
    case "FST_ERR_MAX_PARAM_LENGTH":
      return { status: 414, message: "a path component of the URL is too long" };
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, message: e.message || STATUS_CODES[e.statusCode] || "bad request" };
  }
  return { status: 500, message: e.message || "internal server error" };
}

/** "/IPAM/Config/0/Subnet" -> "IPAM.Config[0].Subnet", the way a user names a field. */
function fieldName(instancePath: string): string {
  let out = "";
  for (const part of instancePath.split("/").slice(1)) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^[0-9]+$/.test(key) ? `[${key}]` : out === "" ? key : `.${key}`;
  }
  return out;
}

function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "number" && !Number.isInteger(v) ? "non-integer number" : typeof v;
}

const ARTICLE: Record<string, string> = {
  string: "a string",
  boolean: "a boolean",
  object: "an object",
  array: "an array",
  integer: "an integer",
  number: "a number",
};

function validationMessage(err: SchemaError, context: string): string {
  const where = context === "body" ? "invalid JSON" : context === "querystring" ? "invalid query parameter" : `invalid ${context}`;
  const field = fieldName(err.instancePath);
  const subject = field === "" ? (context === "body" ? "the body" : "the value") : field;
  switch (err.keyword) {
    case "type": {
      const wanted = String(err.params["type"] ?? "")
        .split(",")
        .filter((t) => t !== "null")
        .map((t) => ARTICLE[t] ?? t)
        .join(" or ");
      return `${where}: ${subject} must be ${wanted}, not ${jsonType(err.data)}`;
    }
    case "maxLength":
      return `${where}: ${subject} is longer than ${String(err.params["limit"])} characters`;
    case "maxItems":
      return `${where}: ${subject} has more than ${String(err.params["limit"])} entries`;
    case "maxProperties":
      return `${where}: ${subject} has more than ${String(err.params["limit"])} entries`;
    case "minimum":
    case "maximum":
      return `${where}: ${subject} must be ${err.keyword === "minimum" ? ">=" : "<="} ${String(err.params["limit"])}`;
    default:
      return `${where}: ${subject} ${err.message ?? "is invalid"}`;
  }
}

/**
 * Answers requests node's HTTP parser rejects before fastify sees them
 * (unknown methods, oversized headers, garbage) with Docker's JSON shape
 * instead of fastify's, then closes the connection as the parser demands.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === "ECONNRESET" || !socket.writable) return;
  let status = 400;
  let message = `malformed HTTP request (${err.code ?? "parse error"})`;
  if (err.code === "HPE_HEADER_OVERFLOW") {
    status = 431;
    message = "request line or headers are too large";
  } else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
    status = 408;
    message = "request timed out";
  } else if (err.code === "HPE_INVALID_METHOD") {
    message = "unknown HTTP method";
  }
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
