import type { FastifyRequest, RouteShorthandOptions } from "fastify";
import { decodeJsonBody } from "./json-body.js";
import { matchKeysToSchema, type JsonSchema } from "./json-schema.js";

/**
 * Route options for a JSON body: decoded the way Docker reads bodies,
 * keys matched to the schema ignoring case, then validated by ajv against
 * the schema (types only; handlers check meaning).
 */
export function jsonBody(schema: JsonSchema, querystring?: JsonSchema): RouteShorthandOptions {
  return {
    schema: querystring ? { body: schema, querystring } : { body: schema },
    preValidation: async (req: FastifyRequest) => {
      const decoded = decodeJsonBody(req.headers["content-type"], req.body);
      req.body = matchKeysToSchema(schema, decoded ?? {});
    },
  };
}

/** Route options for requests without a body (bodies sent anyway are ignored, as Docker does). */
export function queryOnly(querystring?: JsonSchema): RouteShorthandOptions {
  return querystring ? { schema: { querystring } } : {};
}
