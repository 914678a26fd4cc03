/**
 * Builders for the compares and operations of etcd transactions, on absolute
 * keys (ClusterStore.key()). Small on purpose: every transaction of the
 * store reads as its compares and its ops.
 */
import type { ICompare, IKeyValue, IRequestOp, IResponseOp } from "etcd3";
import { prefixEnd } from "./client.js";

/** The key does not exist (it was never created, or deleted since). */
export function absent(key: Buffer): ICompare {
  return { key, target: "Create", result: "Equal", create_revision: 0 };
}

/** The key exists. */
export function present(key: Buffer): ICompare {
  return { key, target: "Create", result: "Greater", create_revision: 0 };
}

/** The key was created at exactly this revision (the same incarnation of it). */
export function createdAt(key: Buffer, revision: string): ICompare {
  return { key, target: "Create", result: "Equal", create_revision: revision };
}

/** The key was last written at this revision ("0" also matches an absent key). */
export function unchangedSince(key: Buffer, modRevision: string): ICompare {
  return { key, target: "Mod", result: "Equal", mod_revision: modRevision };
}

/** No key starts with `prefix` (etcd compares an empty range as one absent key). */
export function noKeyUnder(prefix: Buffer): ICompare {
  return { key: prefix, range_end: prefixEnd(prefix), target: "Version", result: "Equal", version: 0 };
}

export function put(key: Buffer, value: string): IRequestOp {
  return { request_put: { key, value: Buffer.from(value) } };
}

export function del(key: Buffer): IRequestOp {
  return { request_delete_range: { key } };
}

export function delPrefix(prefix: Buffer): IRequestOp {
  return { request_delete_range: { key: prefix, range_end: prefixEnd(prefix) } };
}

export function get(key: Buffer): IRequestOp {
  return { request_range: { key } };
}

export function getPrefix(prefix: Buffer, limit = 0): IRequestOp {
  return { request_range: { key: prefix, range_end: prefixEnd(prefix), limit } };
}

/** The key/value a range op of a transaction returned, if the key exists. */
export function firstKv(response: IResponseOp | undefined): IKeyValue | undefined {
  return response?.response_range?.kvs[0];
}

/** Every key/value a range op of a transaction returned. */
export function kvsOf(response: IResponseOp | undefined): IKeyValue[] {
  return response?.response_range?.kvs ?? [];
}
