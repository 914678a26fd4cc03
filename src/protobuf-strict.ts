/**
 * protobuf-es's fromBinary, as strict about wire types as the gogoproto
 * Unmarshal Docker's nodes run.
 *
 * fromBinary reads a known field by its declared type whatever wire type its
 * tag carries: a varint tag on a string field has its value taken as the
 * string's length, so bytes that are not the message can decode into garbage
 * instead of failing. gogoproto refuses such bytes ("wrong wireType"), and so
 * do cnm's codecs for gossiped table values: fromBinaryStrict walks the tags
 * first, nested messages included, and throws a TypeError naming the field.
 */
import { fromBinary, ScalarType, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** Nesting limit, so hostile input cannot exhaust the stack (Docker's records nest one level). */
const MAX_DEPTH = 16;

const WIRE_TYPE_NAMES: Record<number, string> = {
  [WireType.Varint]: "varint",
  [WireType.Bit64]: "64-bit",
  [WireType.LengthDelimited]: "length-delimited",
  [WireType.StartGroup]: "group",
  [WireType.Bit32]: "32-bit",
};

/** fromBinary, after checking that every known field (nested ones too) has its type's wire type. */
export function fromBinaryStrict<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  checkWireTypes(schema, bytes, 0);
  return fromBinary(schema, bytes);
}

function checkWireTypes(schema: DescMessage, bytes: Uint8Array, depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError(`${schema.name} nested more than ${MAX_DEPTH} levels deep`);
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, wireType] = r.tag();
    const field = schema.fields.find((f) => f.number === no);
    if (field === undefined) {
      // Unknown fields are skipped (fromBinary keeps them), as protobuf requires.
      r.skip(wireType, no);
      continue;
    }
    const accepted = wireTypes(field);
    if (!accepted.includes(wireType)) {
      throw new TypeError(`${schema.name} field ${no} has wire type ${wireType}, not ${WIRE_TYPE_NAMES[accepted[0]!]}`);
    }
    const nested = nestedMessage(field);
    if (nested !== undefined && wireType === WireType.LengthDelimited) checkWireTypes(nested, r.bytes(), depth + 1);
    else r.skip(wireType, no);
  }
}

/** The wire types a field may arrive in; the first is the one it is written in. */
function wireTypes(field: DescField): readonly WireType[] {
  switch (field.fieldKind) {
    case "scalar":
      return [scalarWireType(field.scalar)];
    case "enum":
      return [WireType.Varint];
    case "message":
      return [field.delimitedEncoding ? WireType.StartGroup : WireType.LengthDelimited];
    case "map":
      return [WireType.LengthDelimited];
    case "list": {
      if (field.listKind === "message") return [field.delimitedEncoding ? WireType.StartGroup : WireType.LengthDelimited];
      // Enum and numeric lists may come packed (one length-delimited run) or one element per tag.
      const one = field.listKind === "enum" ? WireType.Varint : scalarWireType(field.scalar);
      return one === WireType.LengthDelimited ? [one] : [one, WireType.LengthDelimited];
    }
  }
}

function scalarWireType(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** The message type whose body a length-delimited value of `field` holds, if any (map entries are left to fromBinary). */
function nestedMessage(field: DescField): DescMessage | undefined {
  if (field.fieldKind === "message") return field.message;
  if (field.fieldKind === "list" && field.listKind === "message") return field.message;
  return undefined;
}
