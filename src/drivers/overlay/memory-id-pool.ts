import type { IdPool } from "../../driverapi/index.js";
import { ConflictError, ExhaustedError, InvalidParameterError } from "../../errors.js";

/** Docker's overlay VXLAN range: ids below 4096 are left to users' own VTEPs. */
export const VXLAN_ID_START = 4096;
export const VXLAN_ID_END = 2 ** 24 - 1;

/**
 * An IdPool held in this process's memory, for a controller without a
 * cluster store: unique within the process (several controllers may share
 * one), nothing more. Free ids are found by a rotating cursor, so a released
 * id is not handed out again at once (a peer may still hold entries for it).
 */
export class MemoryIdPool implements IdPool {
  private readonly owners = new Map<string, number[]>();
  private readonly taken = new Set<number>();
  private cursor: number;

  constructor(
    readonly first: number = VXLAN_ID_START,
    readonly last: number = VXLAN_ID_END,
  ) {
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first > last) {
      throw new InvalidParameterError(`id pool range ${first}..${last} is not a range of integers`);
    }
    this.cursor = first;
  }

  async reserve(owner: string, request: { readonly wanted?: readonly number[]; readonly count?: number }): Promise<number[]> {
    const held = this.owners.get(owner);
    if (held) return [...held];
    const ids = request.wanted ? this.takeWanted(owner, request.wanted) : this.takeFree(request.count ?? 1);
    for (const id of ids) this.taken.add(id);
    this.owners.set(owner, ids);
    return [...ids];
  }

  async release(owner: string): Promise<void> {
    for (const id of this.owners.get(owner) ?? []) this.taken.delete(id);
    this.owners.delete(owner);
  }

  private takeWanted(owner: string, wanted: readonly number[]): number[] {
    if (new Set(wanted).size !== wanted.length) throw new InvalidParameterError(`ids ${wanted.join(",")} for ${owner} repeat an id`);
    for (const id of wanted) {
      if (!Number.isInteger(id) || id < this.first || id > this.last) {
        throw new InvalidParameterError(`id ${id} is outside the pool's range ${this.first}..${this.last}`);
      }
      if (this.taken.has(id)) throw new ConflictError(`id ${id} is already reserved by ${this.ownerOf(id)}`);
    }
    return [...wanted];
  }

  private takeFree(count: number): number[] {
    if (!Number.isInteger(count) || count < 1) throw new InvalidParameterError(`cannot reserve ${count} ids`);
    const size = this.last - this.first + 1;
    if (this.taken.size + count > size) {
      throw new ExhaustedError(`no ${count} free ids left in ${this.first}..${this.last} (${size - this.taken.size} free)`);
    }
    const ids: number[] = [];
    let id = this.cursor;
    while (ids.length < count) {
      if (!this.taken.has(id) && !ids.includes(id)) ids.push(id);
      id = id === this.last ? this.first : id + 1;
    }
    this.cursor = id;
    return ids;
  }

  private ownerOf(id: number): string {
    for (const [owner, ids] of this.owners) if (ids.includes(id)) return owner;
    return "another owner";
  }
}
