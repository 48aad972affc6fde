import { createHash } from 'node:crypto';

/** A digest of the price columns of a set of bars, the same whether it is built from the sandbox or the store. */
export function barDigest(rows: readonly Record<string, unknown>[]): string {
  const lines = rows
    .map((r) =>
      [r.ts_code, r.open, r.high, r.low, r.close].map((v) => (v == null ? '' : String(v))).join('|'),
    )
    .sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
