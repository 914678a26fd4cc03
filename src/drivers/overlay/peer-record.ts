import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

/** The gossip table the overlay driver publishes its endpoints in (Docker's name). */
export const PEER_TABLE = "overlay_peer_table";

/**
 * One endpoint of an overlay network, as Docker's overlay driver gossips it
 * (libnetwork drivers/overlay/overlay.proto, message PeerRecord):
 * field 1 endpoint_ip, the endpoint's address in CIDR form ("10.0.0.2/24");
 * field 2 endpoint_mac ("02:42:0a:00:00:02"); field 3 tunnel_endpoint_ip, the
 * plain underlay address of the host the endpoint lives on. All strings, so
 * the record is readable by Docker's nodes and theirs by ours.
 */
export interface PeerRecord {
  readonly endpointIp: string;
  readonly endpointMac: string;
  readonly tunnelEndpointIp: string;
}

const FIELD_ENDPOINT_IP = 1;
const FIELD_ENDPOINT_MAC = 2;
const FIELD_TUNNEL_ENDPOINT_IP = 3;

/** Encodes like gogoproto: fields in number order, empty strings (proto3 defaults) left out. */
export function encodePeerRecord(record: PeerRecord): Uint8Array {
  const w = new BinaryWriter();
  if (record.endpointIp !== "") w.tag(FIELD_ENDPOINT_IP, WireType.LengthDelimited).string(record.endpointIp);
  if (record.endpointMac !== "") w.tag(FIELD_ENDPOINT_MAC, WireType.LengthDelimited).string(record.endpointMac);
  if (record.tunnelEndpointIp !== "") w.tag(FIELD_TUNNEL_ENDPOINT_IP, WireType.LengthDelimited).string(record.tunnelEndpointIp);
  return w.finish();
}

/**
 * Decodes a PeerRecord; unknown fields are skipped, as protobuf requires.
 * Throws on bytes that are not a protobuf message or carry a known field
 * with the wrong wire type.
 */
export function decodePeerRecord(bytes: Uint8Array): PeerRecord {
  const r = new BinaryReader(bytes);
  let endpointIp = "";
  let endpointMac = "";
  let tunnelEndpointIp = "";
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    const known = field === FIELD_ENDPOINT_IP || field === FIELD_ENDPOINT_MAC || field === FIELD_TUNNEL_ENDPOINT_IP;
    if (!known) {
      r.skip(wireType, field);
      continue;
    }
    if (wireType !== WireType.LengthDelimited) throw new TypeError(`PeerRecord field ${field} has wire type ${wireType}, not a string`);
    const value = r.string();
    if (field === FIELD_ENDPOINT_IP) endpointIp = value;
    else if (field === FIELD_ENDPOINT_MAC) endpointMac = value;
    else tunnelEndpointIp = value;
  }
  return { endpointIp, endpointMac, tunnelEndpointIp };
}
