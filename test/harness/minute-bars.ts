import { createHash } from 'node:crypto';
import type pg from 'pg';
import { type ApiName, ENDPOINTS, endpoint } from '../../contracts/catalog/index.js';
import type { GrayModule } from '../../contracts/gray.js';
import { minuteWindow, tradingDayOf } from '../../contracts/sessions.js';
import type { SandboxDataset } from '../../producers/sandbox/dataset.js';

/** The P2 minute-history endpoints, as the daily job fetches them per gray module. */
export const MINUTE_APIS: readonly ApiName[] = ENDPOINTS.filter(
  (spec) => spec.batch === 'p2' && spec.role === 'minute',
).map((spec) => spec.apiName as ApiName);

/** The gray modules the minute endpoints belong to. */
export const MINUTE_MODULES = [...new Set(MINUTE_APIS.map((api) => endpoint(api).switch as GrayModule))];

/** Rows and a digest of their content (every value, the provisional flag too) of one code's trading day. */
export interface MinuteDay {
  rows: number;
  digest: string;
}

const line = (r: Record<string, unknown>, provisional: unknown) =>
  [r.ts_code, r.trade_time, r.open, r.high, r.low, r.close, r.vol, r.amount, r.oi ?? '', provisional].join(
    '|',
  );

function digestDays(lines: Map<string, string[]>): Record<string, MinuteDay> {
  return Object.fromEntries(
    [...lines].map(([key, day]) => [
      key,
      {
        rows: day.length,
        digest: createHash('sha256').update(day.sort().join('\n')).digest('hex'),
      },
    ]),
  );
}

const push = (out: Map<string, string[]>, key: string, value: string) =>
  out.set(key, [...(out.get(key) ?? []), value]);

/**
 * What the sandbox serves per `<ts_code>|<trading day>` for the codes fetched of each minute
 * endpoint over the days `from` … `to`, each bar on the trading day it belongs to (a futures night
 * session on the next one): exactly the final rows minute_bar must hold.
 */
export function expectedMinutes(
  dataset: SandboxDataset,
  codes: ReadonlyMap<ApiName, readonly string[]>,
  from: string,
  to: string,
): Record<string, MinuteDay> {
  const out = new Map<string, string[]>();
  for (const [api, list] of codes) {
    const asset = endpoint(api).assetClass;
    for (const code of list) {
      for (const row of dataset.query(api, { ts_code: code, freq: '1min', ...minuteWindow(from, to) })) {
        const time = String(row.trade_time);
        const day = tradingDayOf(asset, time.slice(0, 10).replaceAll('-', ''), time.slice(11, 16));
        push(out, `${code}|${day}`, line(row, false));
      }
    }
  }
  return digestDays(out);
}

/** minute_bar per `<ts_code>|<trading day>`, read back in China time as the sandbox serves it. */
export async function storedMinutes(pool: pg.Pool): Promise<Record<string, MinuteDay>> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT ts_code, to_char(trade_date, 'YYYYMMDD') AS day, provisional,
            to_char(trade_time AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD HH24:MI:SS') AS trade_time,
            open, high, low, close, vol, amount, oi
       FROM minute_bar WHERE freq = '1min'`,
  );
  const out = new Map<string, string[]>();
  for (const row of rows) push(out, `${row.ts_code}|${row.day}`, line(row, row.provisional));
  return digestDays(out);
}
