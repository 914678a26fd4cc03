import type { NetworkRecord } from "../../controllerapi/index.js";
import { InternalError } from "../../errors.js";

/** A network record as stored (JSON); InternalError when it does not parse. */
export function parseRecord(value: Buffer): NetworkRecord {
  try {
    return JSON.parse(value.toString()) as NetworkRecord;
  } catch (err) {
    throw new InternalError(`cluster store holds a malformed network record: ${(err as Error).message}`);
  }
}
