import type { WireRow } from '../../../../producers/sandbox/dataset.js';

/** Rows grouped by a column, each group ascending on another (the answer itself is newest first). */
export function groupAscending(rows: readonly WireRow[], key: string, time: string): Map<string, WireRow[]> {
  const groups = new Map<string, WireRow[]>();
  for (const row of rows) {
    const k = String(row[key]);
    const list = groups.get(k) ?? [];
    list.push(row);
    groups.set(k, list);
  }
  for (const list of groups.values()) list.sort((a, b) => (String(a[time]) < String(b[time]) ? -1 : 1));
  return groups;
}

export const num = (row: WireRow, column: string): number => {
  const v = row[column];
  if (typeof v !== 'number') throw new Error(`${column} is not a number: ${String(v)}`);
  return v;
};

/** Round half away from zero, as the market does. */
export const round = (v: number, decimals: number) => {
  const f = 10 ** decimals;
  const r = Math.floor(Math.abs(v) * f + 0.5 + 1e-9) / f;
  return v < 0 ? -r : r;
};

/** The China limit price from a previous close in yuan: ± pct, rounded half up to the cent. */
export function limitPrice(preClose: number, pct: number): number {
  const cents = Math.round(preClose * 100);
  return Math.floor((cents * (100 + pct) + 50) / 100) / 100;
}

export function boardLimit(tsCode: string): number {
  if (tsCode.endsWith('.BJ')) return 30;
  return tsCode.startsWith('300') || tsCode.startsWith('301') || tsCode.startsWith('688') ? 20 : 10;
}
