/**
 * The names of the kernel objects the bridge driver makes, derived from ids
 * so that a restarted daemon (and its orphan sweep) can tell them apart:
 * "<prefix>-<network id>" bridges, "<prefix>h<endpoint id>" host ends and
 * "<prefix>c<endpoint id>" container ends (until renamed in the sandbox), all
 * within Linux's 15 bytes.
 */
export function defaultBridgeName(prefix: string, nid: string): string {
  return `${prefix}-${nid.slice(0, 15 - prefix.length - 1)}`;
}

export function hostVethName(prefix: string, eid: string): string {
  return `${prefix}h${eid.slice(0, 14 - prefix.length)}`;
}

export function containerVethName(prefix: string, eid: string): string {
  return `${prefix}c${eid.slice(0, 14 - prefix.length)}`;
}
