export { OverlayDriver, overlayDriverInit, OVERLAY_CAPABILITY, type OverlayDriverConfig } from "./overlay-driver.js";
export { MemoryIdPool, VXLAN_ID_START, VXLAN_ID_END } from "./memory-id-pool.js";
export { encodePeerRecord, decodePeerRecord, PEER_TABLE, type PeerRecord } from "./peer-record.js";
export { parseVxlanIdList, formatVxlanIdList, VXLAN_ID_LIST_OPTION } from "./vxlan-ids.js";
export { overlayNamespaceName, overlayNamespacePattern } from "./names.js";
