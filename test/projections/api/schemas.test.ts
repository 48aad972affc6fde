import { describe, expect, it } from 'vitest';
import { FLAG_NAMES } from '../../../contracts/flags.js';
import {
  ExplainQuery,
  GateSnapshotQuery,
  MatrixQuery,
  RunsQuery,
  SetFlagsBody,
  TradeDate,
} from '../../../projections/api/schemas.js';

const paths = (result: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  result.success ? [] : (result.error?.issues ?? []).map((i) => i.path.join('.'));

describe('TradeDate', () => {
  it('takes YYYYMMDD days that exist and nothing else', () => {
    expect(TradeDate.safeParse('20260227').success).toBe(true);
    expect(TradeDate.safeParse('20240229').success).toBe(true);
    for (const bad of ['20260230', '20250229', '2026-02-27', '2026022', '202602270', '20261301'])
      expect(TradeDate.safeParse(bad).success, bad).toBe(false);
  });
});

describe('RunsQuery', () => {
  it('coerces the limit and defaults it', () => {
    expect(RunsQuery.parse({})).toEqual({ limit: 50 });
    expect(RunsQuery.parse({ status: 'failed', chain: 'index_daily', limit: '500' })).toEqual({
      status: 'failed',
      chain: 'index_daily',
      limit: 500,
    });
  });

  it('names each bad field: unknown status, unknown chain, limit above 500, unknown keys', () => {
    expect(paths(RunsQuery.safeParse({ status: 'done' }))).toEqual(['status']);
    expect(paths(RunsQuery.safeParse({ chain: 'not_a_chain' }))).toEqual(['chain']);
    expect(paths(RunsQuery.safeParse({ limit: '501' }))).toEqual(['limit']);
    expect(paths(RunsQuery.safeParse({ limit: 'ten' }))).toEqual(['limit']);
    expect(RunsQuery.safeParse({ sort: 'asc' }).success).toBe(false);
  });
});

describe('MatrixQuery', () => {
  it('splits a ts_code list and keeps universe as a word', () => {
    expect(MatrixQuery.parse({ target: 'universe', from: '20260105', to: '20260109' }).target).toBe(
      'universe',
    );
    expect(
      MatrixQuery.parse({ target: '000001.SZ, 600000.SH,000001.SZ', from: '20260105', to: '20260105' })
        .target,
    ).toEqual(['000001.SZ', '600000.SH']);
  });

  it('refuses from after to, ranges over 366 days and bad dates, by field', () => {
    expect(paths(MatrixQuery.safeParse({ target: 'universe', from: '20260110', to: '20260109' }))).toEqual([
      'from',
    ]);
    expect(paths(MatrixQuery.safeParse({ target: 'universe', from: '20250101', to: '20260102' }))).toEqual([
      'to',
    ]);
    expect(MatrixQuery.safeParse({ target: 'universe', from: '20250101', to: '20260101' }).success).toBe(
      true,
    );
    expect(paths(MatrixQuery.safeParse({ target: 'universe', from: '20260231', to: '20260301' }))).toEqual([
      'from',
    ]);
    expect(paths(MatrixQuery.safeParse({ target: 'a b', from: '20260105', to: '20260105' }))).toEqual([
      'target',
    ]);
    expect(paths(MatrixQuery.safeParse({ from: '20260105', to: '20260105' }))).toEqual(['target']);
  });
});

describe('ExplainQuery', () => {
  it('takes one target only', () => {
    expect(ExplainQuery.parse({ target: '000001.SZ', module: 'daily', tradeDate: '20260105' }).target).toBe(
      '000001.SZ',
    );
    expect(
      paths(
        ExplainQuery.safeParse({ target: '000001.SZ,600000.SH', module: 'daily', tradeDate: '20260105' }),
      ),
    ).toEqual(['target']);
    expect(
      paths(ExplainQuery.safeParse({ target: 'universe', module: 'Daily!', tradeDate: '20260105' })),
    ).toEqual(['module']);
  });
});

describe('GateSnapshotQuery', () => {
  it('takes an optional as-of trade date', () => {
    expect(GateSnapshotQuery.parse({})).toEqual({});
    expect(GateSnapshotQuery.parse({ asOf: '20260213' })).toEqual({ asOf: '20260213' });
    expect(paths(GateSnapshotQuery.safeParse({ asOf: '2026-02-13' }))).toEqual(['asOf']);
  });
});

describe('SetFlagsBody', () => {
  it('is a partial of the one flags schema plus a reason', () => {
    expect(SetFlagsBody.parse({ p1Enabled: false, reason: 'fx outage' })).toEqual({
      p1Enabled: false,
      reason: 'fx outage',
    });
    // Every switch of the flags schema is accepted, and nothing else.
    for (const name of FLAG_NAMES)
      expect(SetFlagsBody.safeParse({ [name]: true, reason: 'r' }).success).toBe(true);
  });

  it('refuses updatedAt, unknown switches, non-booleans, a missing reason and an empty change', () => {
    expect(SetFlagsBody.safeParse({ p1Enabled: false, updatedAt: 1, reason: 'r' }).success).toBe(false);
    expect(SetFlagsBody.safeParse({ p3Enabled: true, reason: 'r' }).success).toBe(false);
    expect(paths(SetFlagsBody.safeParse({ p1Enabled: 'no', reason: 'r' }))).toEqual(['p1Enabled']);
    expect(paths(SetFlagsBody.safeParse({ p1Enabled: false }))).toEqual(['reason']);
    expect(paths(SetFlagsBody.safeParse({ p1Enabled: false, reason: '   ' }))).toEqual(['reason']);
    expect(SetFlagsBody.safeParse({ reason: 'nothing to change' }).success).toBe(false);
  });
});
