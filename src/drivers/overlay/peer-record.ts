import { create, toBinary } from "@bufbuild/protobuf";
import { fromBinaryStrict } from "../../protobuf-strict.js";
import { PeerRecordSchema } from "./proto/gen/overlay_pb.js";

/** The gossip table the overlay driver publishes its endpoints in (Docker's name). */
export const PEER_TABLE = "overlay_peer_table";

/**
 * One endpoint of an overlay network, as Docker's overlay driver gossips it
 * (libnetwork drivers/overlay/overlay.proto, message PeerRecord; cnm's copy is
 * proto/overlay.proto): field 1 endpoint_ip, the endpoint's address in CIDR
 * form ("10.0.0.2/24"); field 2 endpoint_mac ("02:42:0a:00:00:02"); field 3
 * tunnel_endpoint_ip, the plain underlay address of the host the endpoint
 * lives on. All strings, so the record is readable by Docker's nodes and
 * theirs by ours.
 */
export interface PeerRecord {
  readonly endpointIp: string;
  readonly endpointMac: string;
  readonly tunnelEndpointIp: string;
}

/**
 * Encodes as gogoproto does: protobuf-es writes fields in number order and
 * leaves out empty strings (proto3 defaults), so the bytes are Docker's.
 */
export function encodePeerRecord(record: PeerRecord): Uint8Array {
  const { endpointIp, endpointMac, tunnelEndpointIp } = record;
  return toBinary(PeerRecordSchema, create(PeerRecordSchema, { endpointIp, endpointMac, tunnelEndpointIp }));
}

/**
 * Decodes a PeerRecord; unknown fields are skipped, as protobuf requires.
 * Throws on bytes that are not a protobuf message or carry a known field
 * with the wrong wire type. Returns a plain record, not the generated message
 * (whose $typeName and $unknown callers have no use for).
 */
export function decodePeerRecord(bytes: Uint8Array): PeerRecord {
  const { endpointIp, endpointMac, tunnelEndpointIp } = fromBinaryStrict(PeerRecordSchema, bytes);
  return { endpointIp, endpointMac, tunnelEndpointIp };
}
