import { createHash } from 'node:crypto';
import type { ColumnValue, JsonValue } from './values.js';

interface SortedKey {
  key: string;
  quoted: string;
}

/** Rows of one table share their key list; sorting and quoting it once per list keeps hashing cheap. */
const SORTED = new Map<string, readonly SortedKey[]>();
const SORTED_LIMIT = 4_096;

function sortedKeys(value: object): readonly SortedKey[] {
  const keys = Object.keys(value);
  const id = keys.join('\u0000');
  let sorted = SORTED.get(id);
  if (!sorted) {
    sorted = [...keys].sort().map((key) => ({ key, quoted: JSON.stringify(key) }));
    // jsonb attributes vary per record; a bounded cache keeps their key lists from piling up.
    if (SORTED.size < SORTED_LIMIT) SORTED.set(id, sorted);
  }
  return sorted;
}

/**
 * A canonical text for normalized values: object keys sorted at every depth, numbers in their
 * shortest round-trip form (JSON's), so equal values always hash equal however they were built.
 */
export function canonical(value: ColumnValue | JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) throw new TypeError('bytes are not part of the hashed values');
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonical(value[i] ?? null);
    return `${out}]`;
  }
  const record = value as Record<string, JsonValue>;
  let out = '{';
  let first = true;
  for (const { key, quoted } of sortedKeys(record)) {
    out += `${first ? '' : ','}${quoted}:${canonical(record[key] ?? null)}`;
    first = false;
  }
  return `${out}}`;
}

export interface HashedPart {
  table: string;
  values: Readonly<Record<string, ColumnValue>>;
}

/**
 * sha256 over the canonical form of one or more table rows. The bookkeeping columns (content_hash,
 * source_*, updated_at) are never passed in, so an identical re-fetch hashes equal (a duplicate)
 * and any changed value hashes differently (a revision).
 */
export function contentHash(parts: readonly HashedPart[]): Buffer {
  const text = canonical(
    parts.map((p) => ({ table: p.table, values: p.values as Record<string, JsonValue> })),
  );
  return createHash('sha256').update(text).digest();
}
