import { addDays, daysBetween } from '../contracts/dates.js';
import type { ProcessStats } from '../processors/processor.js';
import type { SkippedEndpoint } from '../producers/fetch/planner.js';
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
  const skipped =
    run.skipped.length > 0
      ? `; ${n(run.endpoints.planned)} endpoints planned, ${n(run.skipped.length)} skipped`
      : '';
  lines.push([
    'fetch',
    `${run.status} (exit ${exitCodeOfRun(run.status)}): ${n(run.tasks.done)} of ${n(run.tasks.total)} tasks done, ` +
      `${n(run.tasks.failed)} failed, ${n(run.tasks.notReached)} not reached${skipped}; ` +
      `${n(s.requests)} calls, ${n(s.retries)} retries`,
  ]);
  const calendarOnly = s.rowsFetched - s.rowsEmitted;
  lines.push([
    'rows',
    `${n(s.rowsFetched)} fetched, ${n(s.rowsEmitted)} emitted` +
      (calendarOnly > 0 ? ` (${n(calendarOnly)} calendar rows of days already covered, read to plan)` : ''),
  ]);
  for (const [detail, apis] of skipsByDetail(run.skipped))
    lines.push(['skipped', `${apis.join(', ')}: ${detail}`]);
  const failed = new Map<string, string>();
  for (const f of run.failures) if (!failed.has(f.apiName)) failed.set(f.apiName, `${f.code}: ${f.message}`);
  for (const [api, why] of failed) lines.push([`failed ${api}`, why.slice(0, 200)]);
  for (const q of run.quotaStops ?? [])
    lines.push([
      `quota stop ${q.apiName}`,
      `the ${q.window} quota${q.limit === null ? '' : ` of ${n(q.limit)} calls`} is used up until ${new Date(q.until).toISOString()}`,
    ]);
  if (run.error && failed.size === 0) lines.push(['error', run.error]);
  return lines;
}

/** Skipped endpoints grouped by their reason in words, so twelve switched-off endpoints are one line. */
function skipsByDetail(skipped: readonly SkippedEndpoint[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const k of skipped) out.set(k.detail, [...(out.get(k.detail) ?? []), k.apiName]);
  return out;
}

/** What a job that did nothing says instead of a bare ok: every stage shut, or every endpoint skipped. */
export function jobNote(job: JobView): string | null {
  if (job.stages.length === 0) {
    const why = Object.values(job.notInForce).flatMap((d) => (d === undefined ? [] : [d.detail]));
    const shut = job.closedByPhase.length > 0 ? `the phase shuts ${job.closedByPhase.join(', ')}` : '';
    return `nothing ran: ${[shut, ...why].filter((w) => w !== '').join('; ') || 'nothing selected is switched on'}`;
  }
  const runs = job.stages.map((s) => s.run);
  if (runs.some((r) => r.tasks.total > 0)) return null;
  const skipped = runs.flatMap((r) => r.skipped);
  if (skipped.length === 0) return 'nothing fetched: the selection has no endpoint to plan';
  const reasons = new Map<string, number>();
  for (const k of skipped) reasons.set(k.reason, (reasons.get(k.reason) ?? 0) + 1);
  const counted = [...reasons]
    .map(([reason, count]) => `${count} ${SKIP_WORDS[reason] ?? reason}`)
    .join(', ');
  return `nothing fetched: all ${skipped.length} endpoints skipped (${counted})`;
}

/** The parts of a daily job the summaries read. */
export interface JobView {
  status: string;
  stages: readonly {
    stage: { name: string };
    from: string;
    to: string;
    run: FetchRunResult;
    recheck?: Readonly<Record<string, readonly string[] | undefined>>;
  }[];
  notRun: readonly string[];
  closedByPhase: readonly string[];
  closedByGray?: readonly { module: string; stage: string | null }[];
  notInForce: Readonly<Record<string, { detail: string } | undefined>>;
}

/** A daily job (one run per stage) as summary lines: its outcome, then each run labelled by stage. */
export function jobFacts(job: JobView): [string, string][] {
  const note = jobNote(job);
  const lines: [string, string][] = [
    ['job', `${job.status} (exit ${exitCodeOfRun(job.status)})${note === null ? '' : `: ${note}`}`],
  ];
  for (const s of job.stages) {
    for (const [label, value] of fetchFacts({ ...s.run, from: s.from, to: s.to }))
      lines.push([`${s.stage.name} ${label}`, value]);
    const again = Object.entries(s.recheck ?? {}).map(([api, days]) => `${api} ${(days ?? []).join(',')}`);
    if (again.length > 0) lines.push([`${s.stage.name} fetched again`, again.join('; ')]);
  }
  if (job.notRun.length > 0) lines.push(['not run', job.notRun.join(', ')]);
  if (job.closedByPhase.length > 0) lines.push(['shut by phase', job.closedByPhase.join(', ')]);
  for (const g of job.closedByGray ?? [])
    lines.push([
      `${g.module}`,
      `not run: gray stage ${g.stage ?? 'not started'} fetches nothing (xasset gray show)`,
    ]);
  return lines;
}

/** Each skip reason in words, for counts. */
const SKIP_WORDS: Readonly<Record<string, string>> = {
  switch_off: 'switched off',
  phase: 'not open in this phase',
  no_pool: 'with no instruments to fetch',
  not_today: 'realtime outside today',
  up_to_date: 'up to date',
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
