import { describe, expect, it } from 'vitest';
import {
  boundCatchUp,
  CATCH_UP_CONFIRM_DAYS,
  catchUpFacts,
  facts,
  fetchFacts,
  jobFacts,
  jobNote,
} from '../../app/summary.js';
import type { FetchRunResult } from '../../producers/fetch/run.js';

const run = (over: Partial<FetchRunResult> = {}): FetchRunResult =>
  ({
    runId: 'r1',
    status: 'partial',
    stats: {
      requests: 10,
      pages: 10,
      retries: 2,
      rowsFetched: 192,
      rowsEmitted: 161,
      errors: {},
      durationMs: 5,
    },
    error: null,
    tasks: { total: 8, done: 6, failed: 2, notReached: 0 },
    endpoints: { planned: 1, skipped: 3 },
    cursorsAdvanced: [],
    holds: [],
    failures: [
      { apiName: 'fund_daily', params: {}, code: 'XASSET_TUSHARE_TRANSIENT', message: 'HTTP 500' },
      { apiName: 'fund_daily', params: {}, code: 'XASSET_TUSHARE_TRANSIENT', message: 'HTTP 500' },
    ],
    skipped: [
      { apiName: 'rt_idx_k', reason: 'not_today', detail: "realtime data is today's only" },
      { apiName: 'index_daily', reason: 'switch_off', detail: 'universeIndexDailyEnabled is false' },
      { apiName: 'moneyflow', reason: 'switch_off', detail: 'universeMoneyflowEnabled is false' },
    ],
    ...over,
  }) as FetchRunResult;

describe('boundCatchUp', () => {
  it('keeps a range within the bound and cuts a longer one from its start', () => {
    expect(boundCatchUp({ from: '20240101', to: '20240110' }, 30)).toEqual({
      from: '20240101',
      to: '20240110',
      days: 10,
      unboundedTo: '20240110',
    });
    expect(boundCatchUp({ from: '20240116', to: '20261202' }, 7)).toEqual({
      from: '20240116',
      to: '20240122',
      days: 7,
      unboundedTo: '20261202',
    });
    expect(boundCatchUp({ from: '20240116', to: '20261202' }).days).toBe(1052);
  });
});

describe('the human summary', () => {
  it('says the exit code, why endpoints planned nothing, each failed endpoint once, and why rows differ', () => {
    const text = facts(fetchFacts(run()));
    expect(text).toMatch(
      /^fetch\s+partial \(exit 3\): 6 of 8 tasks done, 2 failed, 0 not reached; 1 endpoints planned, 3 skipped;/m,
    );
    expect(text).toMatch(/^skipped\s+rt_idx_k: realtime data is today's only$/m);
    expect(text).toMatch(/^skipped\s+index_daily: universeIndexDailyEnabled is false$/m);
    expect(text.match(/^failed fund_daily\s+XASSET_TUSHARE_TRANSIENT: HTTP 500$/gm)).toHaveLength(1);
    expect(text).toMatch(/^rows\s+192 fetched, 161 emitted \(31 calendar rows of days already covered/m);
  });

  it('flags a long catch-up and one cut by --max-days', () => {
    const long = boundCatchUp({ from: '20240116', to: '20261202' });
    expect(catchUpFacts(long)[0]?.[1]).toContain(`more than ${CATCH_UP_CONFIRM_DAYS} days`);
    const cut = boundCatchUp({ from: '20240116', to: '20261202' }, 10);
    expect(catchUpFacts(cut)[0]?.[1]).toContain('the next run goes on to 20261202');
  });
});

describe('a job that did nothing', () => {
  const job = (over: Partial<Parameters<typeof jobNote>[0]> = {}) => ({
    status: 'ok',
    stages: [],
    notRun: [],
    closedByPhase: [],
    notInForce: {},
    ...over,
  });
  const p1Off = run({
    status: 'ok',
    tasks: { total: 0, done: 0, failed: 0, notReached: 0 },
    endpoints: { planned: 0, skipped: 2 },
    failures: [],
    skipped: [
      { apiName: 'fx_daily', reason: 'switch_off', detail: 'p1Enabled is false' },
      { apiName: 'shibor', reason: 'switch_off', detail: 'p1Enabled is false' },
    ],
  });

  it('says every endpoint was skipped, counted by reason, and lists them once per reason', () => {
    const off = job({ stages: [{ stage: { name: 'p1' }, from: '20260101', to: '20260102', run: p1Off }] });
    expect(jobNote(off)).toBe('nothing fetched: all 2 endpoints skipped (2 switched off)');
    const text = facts(jobFacts(off));
    expect(text).toMatch(/^job\s+ok \(exit 0\): nothing fetched: all 2 endpoints skipped/m);
    expect(text).toMatch(/^p1 skipped\s+fx_daily, shibor: p1Enabled is false$/m);
    expect(text).toMatch(/0 not reached; 0 endpoints planned, 2 skipped/);
  });

  it('says why nothing ran when the phase shuts every stage', () => {
    const shut = job({
      closedByPhase: ['p1'],
      notInForce: { p1Enabled: { detail: 'p1Enabled takes effect from phase C; the store is in phase B' } },
    });
    expect(jobNote(shut)).toBe(
      'nothing ran: the phase shuts p1; p1Enabled takes effect from phase C; the store is in phase B',
    );
    expect(facts(jobFacts(shut))).toMatch(/^shut by phase\s+p1$/m);
  });

  it('says nothing when some work was planned', () => {
    expect(jobNote(job({ stages: [{ stage: { name: 'p0' }, from: 'a', to: 'b', run: run() }] }))).toBeNull();
  });
});
