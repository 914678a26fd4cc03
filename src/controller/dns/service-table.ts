import { create, toBinary } from "@bufbuild/protobuf";
import { fromBinaryStrict } from "../../protobuf-strict.js";
import { EndpointRecordSchema } from "./proto/gen/agent_pb.js";

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
 * The parts of Docker's EndpointRecord (libnetwork agent.proto; cnm's copy is
 * dns/proto/agent.proto) a container endpoint fills: field 1 name (the
 * container's), field 5 endpoint_ip (a plain IPv4 address), field 8
 * task_aliases (the endpoint's network-scoped aliases). Service fields
 * (2 service_name, 3 service_id, 4 virtual_ip, 6 ingress_ports, 7 aliases,
 * 9 service_disabled) belong to swarm services, which cnm has not: decoded
 * with the rest of a Docker node's record, never written.
 */
export interface ServiceRecord {
  readonly name: string;
  readonly endpointIp: string;
  readonly taskAliases: readonly string[];
  /** Set on records of swarm services (a Docker node's); cnm resolves only container records. */
  readonly serviceId: string;
}

/**
 * Encodes as gogoproto does: protobuf-es writes fields in number order, one
 * tag per alias, and leaves out empty strings, so the bytes are Docker's.
 */
export function encodeServiceRecord(record: Omit<ServiceRecord, "serviceId">): Uint8Array {
  const message = create(EndpointRecordSchema, {
    name: record.name,
    endpointIp: record.endpointIp,
    taskAliases: [...record.taskAliases],
  });
  return toBinary(EndpointRecordSchema, message);
}

/**
 * Decodes a record, a swarm service's included; unknown fields are skipped.
 * Throws on bytes that are not one (a known field with the wrong wire type
 * included), and returns only what cnm uses, as a plain record.
 */
export function decodeServiceRecord(bytes: Uint8Array): ServiceRecord {
  const { name, endpointIp, taskAliases, serviceId } = fromBinaryStrict(EndpointRecordSchema, bytes);
  return { name, endpointIp, taskAliases, serviceId };
}
