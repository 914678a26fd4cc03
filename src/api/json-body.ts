import type { FastifyInstance } from "fastify";
import { badRequest, printable } from "./http-errors.js";

/**
 * Request bodies as Docker reads them (httputils.ReadJSON): the body is
 * collected raw for every content type, and only routes that take JSON
 * decode it, so the content-type rules and messages are Docker's rather
 * than fastify's (which would answer 415 or refuse an empty JSON body).
 */
export function collectRawBodies(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_req, body, done) => done(null, body));
}

/**
 * Decodes a JSON body: an empty body with no content type (or a JSON one)
 * is "no body" (undefined), as Go's decoder leaves the struct zero; any
 * other content type is refused; `null` is also "no body".
 */
export function decodeJsonBody(contentType: string | undefined, raw: unknown): unknown {
  const bytes = Buffer.isBuffer(raw) ? raw : undefined;
  const empty = bytes === undefined || bytes.length === 0;
  if (!(empty && (contentType === undefined || contentType === ""))) checkJsonContentType(contentType ?? "");
  if (empty) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw badRequest(`invalid JSON: ${(err as Error).message}`);
  }
  return value === null ? undefined : value;
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const PARAMETER = new RegExp(`^${TOKEN}=(${TOKEN}|"([^"\\\\]|\\\\.)*")$`);

function checkJsonContentType(contentType: string): void {
  const [type, ...params] = contentType.split(";").map((p) => p.trim());
  const mediaType = type!.toLowerCase();
  if (mediaType === "") throw badRequest(`malformed Content-Type header (${printable(contentType)}): no media type`);
  // As Go's mime.ParseMediaType: parameters are token=value; only a trailing ";" may be empty.
  if (params.some((p, i) => (p === "" ? i !== params.length - 1 : !PARAMETER.test(p)))) {
    throw badRequest(`malformed Content-Type header (${printable(contentType)}): invalid media parameter`);
  }
  if (mediaType !== "application/json") {
    throw badRequest(`unsupported Content-Type header (${printable(contentType)}): must be 'application/json'`);
  }
}
