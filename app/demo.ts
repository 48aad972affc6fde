import type pg from 'pg';
import type { ProcessStats } from '../processors/processor.js';
import type { FetchRunResult } from '../producers/fetch/run.js';

export interface StoreSummary {
  /** market_bar rows and distinct trade dates per asset class. */
  bars: { assetClass: string; rows: number; days: number; instruments: number }[];
  instruments: number;
  openDays: number;
}

export async function summarizeStore(pool: pg.Pool): Promise<StoreSummary> {
  const bars = await pool.query<{ asset_class: string; rows: number; days: number; instruments: number }>(
    `SELECT asset_class, count(*)::int AS rows, count(DISTINCT trade_date)::int AS days,
            count(DISTINCT ts_code)::int AS instruments
       FROM market_bar GROUP BY asset_class ORDER BY asset_class`,
  );
  const instruments = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM instrument');
  const openDays = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM trade_calendar WHERE is_open AND exchange = 'SSE'`,
  );
  return {
    bars: bars.rows.map((r) => ({
      assetClass: r.asset_class,
      rows: r.rows,
      days: r.days,
      instruments: r.instruments,
    })),
    instruments: instruments.rows[0]?.n ?? 0,
    openDays: openDays.rows[0]?.n ?? 0,
  };
}

export interface DemoSummaryInput {
  from: string;
  to: string;
  fetch: FetchRunResult;
  process: ProcessStats;
  store: StoreSummary;
  /** Sandbox calls per api_name. */
  calls: Record<string, number>;
  migrationsApplied: number;
  storeKind: string;
  logKind: string;
  ms: number;
}

const n = (v: number) => v.toLocaleString('en-US');

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The demo's closing report: what was fetched, what was stored, what it cost. */
export function renderDemoSummary(input: DemoSummaryInput): string {
  const { fetch, process: p, store } = input;
  const days = Math.max(1, store.openDays);
  const bars = table(
    ['asset class', 'rows', 'trade days', 'instruments'],
    store.bars.map((b) => [b.assetClass, n(b.rows), n(b.days), n(b.instruments)]),
  );
  const calls = table(
    ['endpoint', 'calls'],
    Object.entries(input.calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([api, count]) => [api, n(count)]),
  );
  const facts: [string, string][] = [
    ['range', `${input.from} … ${input.to} (${store.openDays} trading days)`],
    [
      'fetch run',
      `${fetch.status}: ${n(fetch.stats.requests)} calls, ${n(fetch.stats.pages)} pages, ${n(fetch.stats.retries)} retries`,
    ],
    ['rows', `${n(fetch.stats.rowsFetched)} fetched, ${n(fetch.stats.rowsEmitted)} emitted as raw events`],
    [
      'processed',
      `${n(p.records)} records: ${n(p.inserted)} new rows, ${n(p.duplicates)} duplicates, ${n(p.revisions)} revisions`,
    ],
    ['dead letters', n(p.deadLettered.total)],
    ['instruments', n(store.instruments)],
    ['calls per trading day', (fetch.stats.requests / days).toFixed(1)],
    [
      'store / log',
      `${input.storeKind} / ${input.logKind} (${input.migrationsApplied} migrations applied this run)`,
    ],
    ['took', `${(input.ms / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...facts.map(([k]) => k.length));
  return [facts.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'), '', bars, '', calls, ''].join('\n');
}
