import { createHash } from 'node:crypto';
import type { ColumnValue, JsonValue } from './values.js';

/**
 * A canonical text for normalized values: object keys sorted at every depth, numbers in their
 * shortest round-trip form (JSON's), so equal values always hash equal however they were built.
 */
export function canonical(value: ColumnValue | JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Buffer.isBuffer(value)) throw new TypeError('bytes are not part of the hashed values');
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, JsonValue>)[key] ?? null)}`);
  return `{${entries.join(',')}}`;
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
