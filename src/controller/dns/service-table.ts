import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/**
 * The gossip table of name records, Docker's "endpoint_table": each endpoint
 * joined to a sandbox on a cluster network publishes its name, aliases and
 * address there, so every host's embedded DNS resolves it. The controller
 * registers it on every cluster network and adds one entry per join, through
 * the same contract drivers use: the entry belongs to the endpoint and leaves
 * with it.
 */
export const SERVICE_TABLE = "endpoint_table";

/**
 * The parts of Docker's EndpointRecord (libnetwork agent.proto) a container
 * endpoint fills: field 1 name (the container's), field 5 endpoint_ip (a
 * plain IPv4 address), field 8 task_aliases (the endpoint's network-scoped
 * aliases). Service fields (2 service_name, 3 service_id, 4 virtual_ip,
 * 6 ingress_ports, 7 aliases, 9 service_disabled) belong to swarm services,
 * which cnm has not: read so a Docker node's record decodes, never written.
 */
export interface ServiceRecord {
  readonly name: string;
  readonly endpointIp: string;
  readonly taskAliases: readonly string[];
  /** Set on records of swarm services (a Docker node's); cnm resolves only container records. */
  readonly serviceId: string;
}

const FIELD_NAME = 1;
const FIELD_SERVICE_ID = 3;
const FIELD_ENDPOINT_IP = 5;
const FIELD_TASK_ALIASES = 8;

/** Encodes as gogoproto does: fields in number order, empty strings left out. */
export function encodeServiceRecord(record: Omit<ServiceRecord, "serviceId">): Uint8Array {
  const w = new BinaryWriter();
  if (record.name !== "") w.tag(FIELD_NAME, WireType.LengthDelimited).string(record.name);
  if (record.endpointIp !== "") w.tag(FIELD_ENDPOINT_IP, WireType.LengthDelimited).string(record.endpointIp);
  for (const alias of record.taskAliases) w.tag(FIELD_TASK_ALIASES, WireType.LengthDelimited).string(alias);
  return w.finish();
}

/** Decodes a record; unknown and service-only fields are skipped. Throws on bytes that are not one. */
export function decodeServiceRecord(bytes: Uint8Array): ServiceRecord {
  const r = new BinaryReader(bytes);
  let name = "";
  let endpointIp = "";
  let serviceId = "";
  const taskAliases: string[] = [];
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field !== FIELD_NAME && field !== FIELD_SERVICE_ID && field !== FIELD_ENDPOINT_IP && field !== FIELD_TASK_ALIASES) {
      r.skip(wireType, field);
      continue;
    }
    if (wireType !== WireType.LengthDelimited) throw new TypeError(`EndpointRecord field ${field} has wire type ${wireType}, not a string`);
    const value = r.string();
    if (field === FIELD_NAME) name = value;
    else if (field === FIELD_SERVICE_ID) serviceId = value;
    else if (field === FIELD_ENDPOINT_IP) endpointIp = value;
    else taskAliases.push(value);
  }
  return { name, endpointIp, taskAliases, serviceId };
}
