import { addDays, daysBetween } from '../contracts/dates.js';
import type { ProcessStats } from '../processors/processor.js';
import type { FetchRunResult } from '../producers/fetch/run.js';
import { exitCodeOfRun } from './failure.js';

/** A catch-up of more days than this asks for `--yes` on a terminal, and is flagged in the summary. */
export const CATCH_UP_CONFIRM_DAYS = 31;

/** What `run` is about to catch up: the range and whether `--max-days` cut it short. */
export interface CatchUp {
  from: string;
  to: string;
  /** Calendar days in the range. */
  days: number;
  /** The day the cursors would have fetched up to without `--max-days`. */
  unboundedTo: string;
}

/**
 * The range a run catches up: from the cursors (`from`) to today, cut to `maxDays` calendar days
 * when asked; the next run goes on from where this one stopped.
 */
export function boundCatchUp(range: { from: string; to: string }, maxDays?: number): CatchUp {
  const span = range.from > range.to ? 0 : daysBetween(range.from, range.to) + 1;
  if (maxDays === undefined || span <= maxDays)
    return { from: range.from, to: range.to, days: span, unboundedTo: range.to };
  const to = addDays(range.from, maxDays - 1);
  return { from: range.from, to, days: maxDays, unboundedTo: range.to };
}

const n = (v: number) => v.toLocaleString('en-US');

/** Label-value lines, the labels aligned, as the demo prints them. */
export function facts(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

/** The lines that say what one fetch run did, for the people reading a terminal. */
export function fetchFacts(run: FetchRunResult & { from?: string; to?: string }): [string, string][] {
  const s = run.stats;
  const lines: [string, string][] = [];
  if (run.from !== undefined && run.to !== undefined) lines.push(['range', `${run.from} … ${run.to}`]);
  lines.push([
    'fetch',
    `${run.status} (exit ${exitCodeOfRun(run.status)}): ${n(run.tasks.done)} of ${n(run.tasks.total)} tasks done, ` +
      `${n(run.tasks.failed)} failed, ${n(run.tasks.skipped)} not reached; ${n(s.requests)} calls, ${n(s.retries)} retries`,
  ]);
  const calendarOnly = s.rowsFetched - s.rowsEmitted;
  lines.push([
    'rows',
    `${n(s.rowsFetched)} fetched, ${n(s.rowsEmitted)} emitted` +
      (calendarOnly > 0 ? ` (${n(calendarOnly)} calendar rows of days already covered, read to plan)` : ''),
  ]);
  if (run.skipped.length > 0)
    lines.push([
      'not planned',
      run.skipped.map((k) => `${k.apiName} (${SKIP_WORDS[k.reason] ?? k.reason})`).join(', '),
    ]);
  const failed = new Map<string, string>();
  for (const f of run.failures) if (!failed.has(f.apiName)) failed.set(f.apiName, `${f.code}: ${f.message}`);
  for (const [api, why] of failed) lines.push([`failed ${api}`, why.slice(0, 200)]);
  if (run.error && failed.size === 0) lines.push(['error', run.error]);
  return lines;
}

/** A daily job (one run per stage) as summary lines: its outcome, then each run labelled by stage. */
export function jobFacts(job: {
  status: string;
  stages: readonly { stage: { name: string }; from: string; to: string; run: FetchRunResult }[];
  notRun: readonly string[];
}): [string, string][] {
  const lines: [string, string][] = [['job', `${job.status} (exit ${exitCodeOfRun(job.status)})`]];
  for (const s of job.stages) {
    for (const [label, value] of fetchFacts({ ...s.run, from: s.from, to: s.to }))
      lines.push([`${s.stage.name} ${label}`, value]);
  }
  if (job.notRun.length > 0) lines.push(['not run', job.notRun.join(', ')]);
  return lines;
}

/** Why an endpoint planned nothing, in words. */
const SKIP_WORDS: Readonly<Record<string, string>> = {
  switch_off: 'switched off',
  no_pool: 'no instruments to fetch',
  not_today: 'realtime: today is not an open day in the range',
  up_to_date: 'its cursor already covers the range',
};

export function processFacts(p: ProcessStats): [string, string][] {
  return [
    [
      'processed',
      `${n(p.records)} records: ${n(p.inserted)} new rows, ${n(p.duplicates)} duplicates, ${n(p.revisions)} revisions`,
    ],
    ['dead letters', n(p.deadLettered.total)],
  ];
}

export function catchUpFacts(c: CatchUp): [string, string][] {
  const cut = c.to < c.unboundedTo ? `; cut by --max-days, the next run goes on to ${c.unboundedTo}` : '';
  const long = c.days > CATCH_UP_CONFIRM_DAYS ? ` (more than ${CATCH_UP_CONFIRM_DAYS} days)` : '';
  return [['catch-up', `${c.from} … ${c.to}: ${c.days} calendar days${long}${cut}`]];
}
