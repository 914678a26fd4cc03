import { InvalidParameterError } from "../../errors.js";

/** Docker's option naming the VNIs of an overlay network, one per IPv4 subnet: "4097" or "4097,4098". */
export const VXLAN_ID_LIST_OPTION = "com.docker.network.driver.overlay.vxlanid_list";

const VNI_MAX = 2 ** 24 - 1;

/**
 * Parses a vxlanid_list value. Every id must be a decimal VNI (1..16777215),
 * none repeated, and there must be one per IPv4 subnet of the network.
 */
export function parseVxlanIdList(value: string, subnetCount: number): number[] {
  const parts = value.split(",").map((p) => p.trim());
  const ids = parts.map((p) => {
    const id = /^[0-9]{1,8}$/.test(p) ? Number(p) : NaN;
    if (!(id >= 1 && id <= VNI_MAX)) {
      throw new InvalidParameterError(`${VXLAN_ID_LIST_OPTION}: "${p}" is not a VXLAN id (1..${VNI_MAX})`);
    }
    return id;
  });
  if (new Set(ids).size !== ids.length) throw new InvalidParameterError(`${VXLAN_ID_LIST_OPTION}: "${value}" repeats an id`);
  if (ids.length !== subnetCount) {
    throw new InvalidParameterError(
      `${VXLAN_ID_LIST_OPTION}: ${ids.length} id(s) given for ${subnetCount} IPv4 subnet(s); give exactly one per subnet`,
    );
  }
  return ids;
}

export function formatVxlanIdList(ids: readonly number[]): string {
  return ids.join(",");
}
