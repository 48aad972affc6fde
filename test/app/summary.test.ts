import { describe, expect, it } from 'vitest';
import { boundCatchUp, CATCH_UP_CONFIRM_DAYS, catchUpFacts, facts, fetchFacts } from '../../app/summary.js';
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
    tasks: { total: 8, done: 6, failed: 2, skipped: 0 },
    cursorsAdvanced: [],
    holds: [],
    failures: [
      { apiName: 'fund_daily', params: {}, code: 'XASSET_TUSHARE_TRANSIENT', message: 'HTTP 500' },
      { apiName: 'fund_daily', params: {}, code: 'XASSET_TUSHARE_TRANSIENT', message: 'HTTP 500' },
    ],
    skipped: [
      { apiName: 'rt_idx_k', reason: 'not_today' },
      { apiName: 'index_daily', reason: 'switch_off' },
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
    expect(text).toMatch(/^fetch\s+partial \(exit 3\): 6 of 8 tasks done, 2 failed, 0 not reached/m);
    expect(text).toContain('rt_idx_k (realtime: today is not an open day in the range)');
    expect(text).toContain('index_daily (switched off)');
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
