export { MacvlanDriver, macvlanDriverInit, MACVLAN_CAPABILITY, type MacvlanDriverConfig } from "./macvlan-driver.js";
export { dummyParentName, dummyParentPattern, isOwnerAlias, macvlanLinkName, ownerAlias } from "./names.js";
