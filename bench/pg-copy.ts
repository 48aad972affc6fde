import type pg from 'pg';
import { copyFromStdin } from '../infra/store/pg-copy.js';

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One value in COPY's text format (tab-separated, `\N` for null, bytea as `\\x<hex>`). */
export function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  // The backslash of bytea's hex form is itself escaped: COPY unescapes once, bytea input once more.
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c);
}

/** Rows as COPY text, about `rowsPerChunk` lines per CopyData message. */
export function* copyChunks(rows: Iterable<readonly unknown[]>, rowsPerChunk = 1_000): Generator<Buffer> {
  let lines: string[] = [];
  for (const row of rows) {
    lines.push(`${row.map(copyField).join('\t')}\n`);
    if (lines.length >= rowsPerChunk) {
      yield Buffer.from(lines.join(''));
      lines = [];
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join(''));
}

/** Copies rows (values in `columns` order) into `table`; returns the rows the server stored. */
export async function copyFrom(
  client: pg.ClientBase,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly unknown[]>,
): Promise<number> {
  const list = columns.map((c) => `"${c}"`).join(', ');
  return copyFromStdin(client, `COPY "${table}" (${list}) FROM STDIN`, copyChunks(rows));
}
