import { chinaDate } from '../contracts/dates.js';
import { CALENDAR_API, calendarParams, openDatesOf } from '../producers/fetch/planner.js';
import {
  calendarAhead,
  equitySession,
  followStep,
  formatChinaTime,
  type SessionState,
} from '../producers/fetch/realtime.js';
import type { TushareRow, TushareSource } from '../producers/tushare/source.js';
import { type JobRequest, type JobResult, runJob } from './daily-job.js';
import type { Runtime } from './runtime.js';

/**
 * `xasset fetch --realtime [--follow <seconds>]`: the realtime job, once or every N seconds, only
 * while the equity session is open (producers/fetch/realtime.ts), stopping at the day's close.
 */

/** The command's clock: the wall clock, or one started at `--at` that runs on from there. */
export type Clock = () => number;

export function clockFrom(at: number | undefined, wall: Clock = Date.now): Clock {
  if (at === undefined) return wall;
  const offset = at - wall();
  return () => wall() + offset;
}

export interface RealtimeRequest extends Pick<JobRequest, 'actor' | 'forcePhase' | 'logger' | 'onProgress'> {
  /** Seconds between rounds; absent: one round. */
  followSeconds?: number;
  clock: Clock;
  signal: AbortSignal;
  onRound?: (round: RealtimeRound, next: { action: 'run' | 'wait' | 'stop'; at?: number }) => void;
}

export interface RealtimeRound {
  round: number;
  /** When the round started, by the command's clock. */
  at: string;
  job: JobResult;
}

export interface RealtimeResult {
  /** The session when the command started. */
  session: SessionState;
  /** Set when the session was closed at the start: nothing ran. */
  closed: string | null;
  rounds: RealtimeRound[];
  /** Why `--follow` ended: the close, an interruption; null for a single round or no round. */
  stopped: 'closed' | 'interrupted' | null;
}

/** The open days from today on: what the session check needs, read from the source (one call). */
async function openDatesAhead(source: TushareSource, today: string, signal: AbortSignal): Promise<string[]> {
  const range = calendarAhead(today);
  const rows: TushareRow[] = [];
  for await (const page of source.pages(CALENDAR_API, calendarParams(range.from, range.to), { signal }))
    rows.push(...page.rows);
  return openDatesOf(rows);
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

export async function runRealtime(
  runtime: Runtime,
  source: TushareSource,
  request: RealtimeRequest,
): Promise<RealtimeResult> {
  const { clock, signal } = request;
  const day = chinaDate(clock());
  const openDates = await openDatesAhead(source, day, signal);
  const session = equitySession(clock(), openDates);
  if (!session.open) {
    const opens =
      session.opensAt === null ? 'no open day in the month ahead' : formatChinaTime(session.opensAt);
    return { session, closed: `the session is closed: opens at ${opens}`, rounds: [], stopped: null };
  }
  const rounds: RealtimeRound[] = [];
  const intervalMs = (request.followSeconds ?? 0) * 1000;
  for (;;) {
    const started = clock();
    const job = await runJob(runtime, source, {
      realtime: true,
      to: chinaDate(started),
      actor: request.actor,
      ...(request.forcePhase !== undefined && { forcePhase: request.forcePhase }),
      onProgress: request.onProgress,
      logger: request.logger,
      signal,
    });
    const round: RealtimeRound = { round: rounds.length + 1, at: new Date(started).toISOString(), job };
    rounds.push(round);
    if (request.followSeconds === undefined) {
      request.onRound?.(round, { action: 'stop' });
      return { session, closed: null, rounds, stopped: null };
    }
    // The next round is due an interval after this one started; the lunch break is waited out.
    let due = started + intervalMs;
    let step = followStep(Math.max(due, clock()), day, openDates);
    if (step.action === 'wait') due = step.until;
    request.onRound?.(round, step.action === 'stop' ? { action: 'stop' } : { action: step.action, at: due });
    if (signal.aborted) return { session, closed: null, rounds, stopped: 'interrupted' };
    if (step.action === 'stop') return { session, closed: null, rounds, stopped: 'closed' };
    await sleep(due - clock(), signal);
    if (signal.aborted) return { session, closed: null, rounds, stopped: 'interrupted' };
    step = followStep(clock(), day, openDates);
    if (step.action !== 'run') return { session, closed: null, rounds, stopped: 'closed' };
  }
}
