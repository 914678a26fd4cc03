import { badRequest } from "./http-errors.js";

/** The part of JSON Schema the API's schemas use (ajv validates them; key matching walks them). */
export interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly additionalProperties?: JsonSchema | boolean;
  readonly items?: JsonSchema;
  readonly maxLength?: number;
  readonly maxItems?: number;
  readonly maxProperties?: number;
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Types that also accept null: Go's decoder leaves a field at its zero value for a JSON null. */
export const str = (maxLength?: number): JsonSchema => (maxLength ? { type: ["string", "null"], maxLength } : { type: ["string", "null"] });
export const bool: JsonSchema = { type: ["boolean", "null"] };
export const int: JsonSchema = { type: ["integer", "null"], minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER };
export const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: ["object", "null"], properties });
export const list = (items: JsonSchema, maxItems = 1024): JsonSchema => ({ type: ["array", "null"], items, maxItems });
export const map = (values: JsonSchema, maxProperties = 1024): JsonSchema => ({
  type: ["object", "null"],
  additionalProperties: values,
  maxProperties,
});
/** A string-to-string map such as Labels or Options. */
export const stringMap: JsonSchema = map({ type: "string" });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Renames keys to the schema's spelling when they match it ignoring case,
 * as Go's encoding/json does ("name" fills Name; a later key wins), and
 * refuses "__proto__" anywhere the API will read, so no decoded object can
 * reach a prototype. Walks only what the schema describes, so its depth is
 * the schema's, whatever the nesting of the input.
 */
export function matchKeysToSchema(schema: JsonSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    return schema.items ? value.map((v) => matchKeysToSchema(schema.items!, v)) : value;
  }
  if (!isPlainObject(value)) return value;
  const props = schema.properties;
  const values = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  if (!props && !values) return value;
  const byLowerCase = new Map<string, string>();
  if (props) for (const k of Object.keys(props)) byLowerCase.set(k.toLowerCase(), k);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === "__proto__") throw badRequest(`invalid JSON: the key "__proto__" is not allowed`);
    const name = props ? (Object.hasOwn(props, key) ? key : (byLowerCase.get(key.toLowerCase()) ?? key)) : key;
    const sub = props && Object.hasOwn(props, name) ? props[name] : values;
    out[name] = sub ? matchKeysToSchema(sub, value[key]) : value[key];
  }
  return out;
}
