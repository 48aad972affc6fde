import { createHash } from 'node:crypto';
import type { TushareParams } from './source.js';

/** Paging parameters belong to the page, not the query: they stay out of the hash. */
const PAGING = new Set(['limit', 'offset']);

/** The canonical JSON of a query's params: sorted keys, without `limit`/`offset`. */
export function canonicalParams(params: TushareParams): string {
  const entries = Object.entries(params)
    .filter(([key]) => !PAGING.has(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries));
}

/** sha256 hex of the canonical params: the same query hashes the same whatever the key order. */
export function paramsHash(params: TushareParams): string {
  return createHash('sha256').update(canonicalParams(params)).digest('hex');
}
