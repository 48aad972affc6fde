import * as crypto from 'node:crypto';
import type { ColumnValue, JsonValue } from './values.js';

interface SortedKeys {
  /** The object's own keys in their insertion order, as Object.keys gave them. */
  keys: readonly string[];
  /** The same keys sorted, each with its JSON-quoted form. */
  sorted: readonly { key: string; quoted: string }[];
}

/** Rows of one table share their key list; sorting and quoting it once per list keeps hashing cheap. */
const SORTED = new Map<string, SortedKeys>();
const SORTED_LIMIT = 4_096;
/** The lists met last, checked key by key before the map: rows come in runs of one table. */
const RECENT: SortedKeys[] = [];
const RECENT_LIMIT = 8;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sortedKeys(value: object): SortedKeys['sorted'] {
  const keys = Object.keys(value);
  for (const entry of RECENT) if (sameKeys(entry.keys, keys)) return entry.sorted;
  const id = keys.join('\u0000');
  let entry = SORTED.get(id);
  if (!entry) {
    entry = { keys, sorted: [...keys].sort().map((key) => ({ key, quoted: JSON.stringify(key) })) };
    // jsonb attributes vary per record; a bounded cache keeps their key lists from piling up.
    if (SORTED.size < SORTED_LIMIT) SORTED.set(id, entry);
  }
  RECENT.unshift(entry);
  if (RECENT.length > RECENT_LIMIT) RECENT.pop();
  return entry.sorted;
}

/**
 * A canonical text for normalized values: object keys sorted at every depth, numbers in their
 * shortest round-trip form (JSON's), so equal values always hash equal however they were built.
 */
export function canonical(value: ColumnValue | JsonValue): string {
  if (value === null) return 'null';
  // String(n) is JSON's form for every finite number (-0 included); JSON writes the others as null.
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
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

/** One-shot SHA-256 (Node ≥ 20.12) skips building a Hash object per row; older Node 20s use createHash. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;
const sha256: (text: string) => Buffer = oneShot
  ? (text) => oneShot('sha256', text, 'buffer')
  : (text) => crypto.createHash('sha256').update(text).digest();

/**
 * sha256 over the canonical form of one or more table rows. The bookkeeping columns (content_hash,
 * source_*, updated_at) are never passed in, so an identical re-fetch hashes equal (a duplicate)
 * and any changed value hashes differently (a revision).
 *
 * The text is `canonical(parts)` written out directly ("table" sorts before "values"), so stored
 * hashes stay valid; the part objects are not copied to get there.
 */
export function contentHash(parts: readonly HashedPart[]): Buffer {
  let text = '[';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as HashedPart;
    text += `${i === 0 ? '' : ','}{"table":${JSON.stringify(part.table)},"values":${canonical(part.values as Record<string, JsonValue>)}}`;
  }
  return sha256(`${text}]`);
}
