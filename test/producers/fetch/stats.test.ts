import { describe, expect, it } from 'vitest';
import { statusOf } from '../../../producers/fetch/run.js';
import { callsPerEndpoint, counterDelta, runStats } from '../../../producers/fetch/stats.js';

describe('run stats', () => {
  const before = {
    requests: 10,
    pages: 12,
    retries: 1,
    rowsFetched: 500,
    errorsByClass: { XASSET_TUSHARE_RATE_LIMIT: 1 },
  };
  const after = {
    requests: 25,
    pages: 30,
    retries: 4,
    rowsFetched: 2_000,
    errorsByClass: { XASSET_TUSHARE_RATE_LIMIT: 3, XASSET_TUSHARE_TRANSIENT: 2 },
  };

  it("takes the source's figures as a delta over the run", () => {
    expect(counterDelta(before, after)).toEqual({
      requests: 15,
      pages: 18,
      retries: 3,
      rowsFetched: 1_500,
      errorsByClass: { XASSET_TUSHARE_RATE_LIMIT: 2, XASSET_TUSHARE_TRANSIENT: 2 },
      requestsByApi: {},
    });
    expect(counterDelta(after, after).errorsByClass).toEqual({});
    expect(
      counterDelta(
        { ...before, requestsByApi: { daily: 2 } },
        { ...after, requestsByApi: { daily: 5, fut_daily: 6 } },
      ).requestsByApi,
    ).toEqual({ daily: 3, fut_daily: 6 });
  });

  it('puts planned tasks beside the requests each endpoint cost', () => {
    expect(
      callsPerEndpoint([{ apiName: 'trade_cal' }, { apiName: 'daily' }, { apiName: 'daily' }], {
        trade_cal: 1,
        daily: 3,
      }),
    ).toEqual({ trade_cal: { planned: 1, actual: 1 }, daily: { planned: 2, actual: 3 } });
    expect(callsPerEndpoint([{ apiName: 'daily' }], {})).toEqual({ daily: { planned: 1, actual: 0 } });
  });

  it("adds the run's own rows and errors to the source's", () => {
    const stats = runStats({
      source: counterDelta(before, after),
      rowsEmitted: 1_400,
      runErrors: { XASSET_TUSHARE_BAD_RESPONSE: 1, XASSET_TUSHARE_TRANSIENT: 0 },
      durationMs: 1234.6,
    });
    expect(stats).toEqual({
      requests: 15,
      pages: 18,
      retries: 3,
      rowsFetched: 1_500,
      rowsEmitted: 1_400,
      errorsByClass: {
        XASSET_TUSHARE_RATE_LIMIT: 2,
        XASSET_TUSHARE_TRANSIENT: 2,
        XASSET_TUSHARE_BAD_RESPONSE: 1,
      },
      durationMs: 1235,
    });
  });
});

describe('run status', () => {
  const tasks = [
    { apiName: 'daily' as const, params: {} },
    { apiName: 'fund_daily' as const, params: {} },
  ];
  const failure = (apiName: 'daily' | 'fund_daily') => ({ apiName, params: {}, code: 'X', message: 'm' });
  const base = {
    interrupted: false,
    fatal: undefined,
    tasks,
    failures: [],
    counts: { done: 2, failed: 0, notReached: 0 },
  };

  it('is ok with no failure, partial when some endpoints completed, failed when none did', () => {
    expect(statusOf(base)).toBe('ok');
    expect(
      statusOf({ ...base, failures: [failure('daily')], counts: { done: 1, failed: 1, notReached: 0 } }),
    ).toBe('partial');
    expect(
      statusOf({
        ...base,
        failures: [failure('daily'), failure('fund_daily')],
        counts: { done: 0, failed: 2, notReached: 0 },
      }),
    ).toBe('failed');
  });

  it('is failed on a run-wide error and abandoned when interrupted', () => {
    expect(statusOf({ ...base, fatal: new Error('token') })).toBe('failed');
    expect(statusOf({ ...base, interrupted: true, fatal: new Error('x') })).toBe('abandoned');
  });
});
