import type pg from 'pg';
import type { ProcessStats } from '../processors/processor.js';
import type { JobResult } from './daily-job.js';

export interface StoreSummary {
  /** market_bar rows and distinct trade dates per asset class. */
  bars: { assetClass: string; rows: number; days: number; instruments: number }[];
  instruments: number;
  /** macro_observation: series stored and their observations. */
  macro: { series: number; rows: number };
  openDays: number;
}

export async function summarizeStore(pool: pg.Pool): Promise<StoreSummary> {
  const bars = await pool.query<{ asset_class: string; rows: number; days: number; instruments: number }>(
    `SELECT asset_class, count(*)::int AS rows, count(DISTINCT trade_date)::int AS days,
            count(DISTINCT ts_code)::int AS instruments
       FROM market_bar GROUP BY asset_class ORDER BY asset_class`,
  );
  const instruments = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM instrument');
  const macro = await pool.query<{ series: number; rows: number }>(
    'SELECT count(DISTINCT series)::int AS series, count(*)::int AS rows FROM macro_observation',
  );
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
    macro: macro.rows[0] ?? { series: 0, rows: 0 },
    openDays: openDays.rows[0]?.n ?? 0,
  };
}

export interface DemoSummaryInput {
  from: string;
  to: string;
  job: JobResult;
  /** Every processor pass of the demo (the reference data first, then the rest). */
  process: readonly ProcessStats[];
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

/** The demo's closing report: what each run fetched, what was stored, what it cost. */
export function renderDemoSummary(input: DemoSummaryInput): string {
  const { job, store } = input;
  const total = (pick: (p: ProcessStats) => number) => input.process.reduce((sum, p) => sum + pick(p), 0);
  const days = Math.max(1, store.openDays);
  const runTotal = (pick: (s: JobResult['stages'][number]['run']['stats']) => number) =>
    job.stages.reduce((sum, s) => sum + pick(s.run.stats), 0);
  const requests = runTotal((s) => s.requests);
  const bars = table(
    ['asset class', 'rows', 'trade days', 'instruments'],
    store.bars.map((b) => [b.assetClass, n(b.rows), n(b.days), n(b.instruments)]),
  );
  const runs = table(
    ['run', 'status', 'calls', 'rows', 'retries'],
    job.stages.map(({ stage, run }) => [
      stage.name,
      run.status,
      n(run.stats.requests),
      n(run.stats.rowsEmitted),
      n(run.stats.retries),
    ]),
  );
  const calls = table(
    ['endpoint', 'calls'],
    Object.entries(input.calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([api, count]) => [api, n(count)]),
  );
  const facts: [string, string][] = [
    ['range', `${input.from} … ${input.to} (${store.openDays} trading days)`],
    ['fetch job', `${job.status}: ${job.stages.length} runs, ${n(requests)} calls`],
    [
      'rows',
      `${n(runTotal((s) => s.rowsFetched))} fetched, ${n(runTotal((s) => s.rowsEmitted))} emitted as raw events`,
    ],
    [
      'processed',
      `${n(total((p) => p.records))} records: ${n(total((p) => p.inserted))} new rows, ` +
        `${n(total((p) => p.duplicates))} duplicates, ${n(total((p) => p.revisions))} revisions`,
    ],
    ['dead letters', n(total((p) => p.deadLettered.total))],
    ['instruments', n(store.instruments)],
    ['macro', `${n(store.macro.rows)} observations of ${n(store.macro.series)} series`],
    ['calls per trading day', (requests / days).toFixed(1)],
    [
      'store / log',
      `${input.storeKind} / ${input.logKind} (${input.migrationsApplied} migrations applied this run)`,
    ],
    ['took', `${(input.ms / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...facts.map(([k]) => k.length));
  return [
    facts.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n'),
    '',
    runs,
    '',
    bars,
    '',
    calls,
    '',
  ].join('\n');
}
