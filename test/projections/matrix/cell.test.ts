import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../contracts/errors.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import {
  classifyCell,
  coverageSeries,
  type MatrixCell,
  publicationOf,
  summarize,
} from '../../../projections/matrix/cell.js';
import {
  MATRIX_MODULES,
  matrixModule,
  moduleSwitch,
  switchesInForce,
} from '../../../projections/matrix/modules.js';
import type { PhaseRecord } from '../../../projections/policy/switches.js';

const open = { switch: 'on' as const, open: true };

describe('classifyCell', () => {
  it('given all expected rows stored, then complete with coverage 1', () => {
    expect(classifyCell({ ...open, expected: 50, got: 50 })).toEqual({ status: 'complete', coverage: 1 });
  });

  it('given some rows missing, then partial with the share stored', () => {
    expect(classifyCell({ ...open, expected: 50, got: 49 })).toEqual({ status: 'partial', coverage: 0.98 });
  });

  it('given no row stored, then missing with coverage 0', () => {
    expect(classifyCell({ ...open, expected: 50, got: 0 })).toEqual({ status: 'missing', coverage: 0 });
  });

  it('gives the reason a cell is not applicable, the switch first', () => {
    const reason = (facts: Parameters<typeof classifyCell>[0]) => {
      const verdict = classifyCell(facts);
      expect(verdict.status).toBe('not_applicable');
      expect(verdict.coverage).toBeNull();
      return verdict.reason;
    };
    expect(reason({ switch: 'switched off', open: false, expected: 0, got: 0 })).toBe('switched off');
    expect(reason({ switch: 'phase', open: true, expected: 5, got: 5 })).toBe('phase');
    expect(reason({ switch: 'on', open: false, expected: 50, got: 50 })).toBe('market closed');
    expect(reason({ switch: 'on', open: null, expected: 50, got: 50 })).toBe(
      'no trading calendar for this day',
    );
    expect(reason({ ...open, listing: 'not_listed', expected: 0, got: 0 })).toBe('not listed on this day');
    expect(reason({ ...open, listing: 'not_an_instrument', expected: 0, got: 0 })).toBe(
      "not an instrument of this module's asset class",
    );
    expect(reason({ ...open, expected: 0, got: 0 })).toBe('no instrument listed on this day');
    expect(reason({ ...open, listing: 'listed', suspended: true, expected: 1, got: 0 })).toBe('suspended');
    // Listing comes first: a stock not listed that day is not listed, whatever suspend_d says.
    expect(reason({ ...open, listing: 'not_listed', suspended: true, expected: 0, got: 0 })).toBe(
      'not listed on this day',
    );
  });
});

describe('matrix modules', () => {
  it("are the catalog's daily market endpoints, stored in market_bar or their own table, then the minute history ones", () => {
    expect(MATRIX_MODULES).toEqual([
      'daily',
      'adj_factor',
      'fund_daily',
      'fut_daily',
      'sge_daily',
      'fx_daily',
      'index_daily',
      'daily_basic',
      'moneyflow',
      'idx_mins',
      'stk_mins',
      'ft_mins',
    ]);
    expect(matrixModule('fut_daily')).toMatchObject({
      assetClass: 'futures',
      table: 'market_bar',
      calendar: 'exchange',
    });
    expect(matrixModule('moneyflow')).toMatchObject({ assetClass: 'stock', table: 'moneyflow' });
    expect(matrixModule('adj_factor')).toMatchObject({ assetClass: 'stock', table: 'adj_factor' });
    expect(matrixModule('fx_daily')).toMatchObject({ calendar: 'weekdays', switches: ['p1Enabled'] });
    expect(matrixModule('fut_daily').kind).toBe('daily');
    expect(matrixModule('stk_mins')).toMatchObject({
      kind: 'minute',
      table: 'minute_bar',
      assetClass: 'stock',
      grayModule: 'p2RealtimeEquityEtfV1',
      switches: ['p2Enabled', 'p2RealtimeEquityEtfV1'],
    });
    expect(matrixModule('ft_mins')).toMatchObject({
      assetClass: 'futures',
      grayModule: 'p2FuturesMicrostructureV1',
    });
    // Realtime minute bars are today's provisional ones, replaced by the history: no module of their own.
    expect(() => matrixModule('rt_min')).toThrow(ValidationError);
  });

  it('are on only when their switch is and the phase record allows it', () => {
    const all = { phase: 'E', frozen: false } as const;
    const on = (name: string, flags = DEFAULT_FLAGS, phase: PhaseRecord = all) =>
      moduleSwitch(matrixModule(name), flags, phase);
    expect(on('daily')).toEqual({ on: true });
    expect(on('index_daily')).toMatchObject({ on: false, reason: 'switched off' });
    expect(on('index_daily', { ...DEFAULT_FLAGS, universeIndexDailyEnabled: true })).toEqual({ on: true });
    expect(on('fx_daily', { ...DEFAULT_FLAGS, p1Enabled: false })).toMatchObject({ reason: 'switched off' });
    expect(on('fx_daily', DEFAULT_FLAGS, { phase: 'B', frozen: false })).toEqual({
      on: false,
      reason: 'phase',
      detail: 'p1Enabled takes effect from phase C; the store is in phase B',
    });
    expect(switchesInForce(matrixModule('daily_basic'), DEFAULT_FLAGS, all)).toEqual({
      universeDailyBasicEnabled: false,
    });
    expect(switchesInForce(matrixModule('daily'), DEFAULT_FLAGS, { phase: 'A', frozen: false })).toEqual({
      p0Enabled: false,
    });
  });
});

describe('summarize and coverageSeries', () => {
  const cell = (module: string, status: MatrixCell['status'], expected: number, got: number): MatrixCell => ({
    target: 'universe',
    module,
    tradeDate: '20260213',
    status,
    expected,
    got,
    coverage: status === 'not_applicable' ? null : got / expected,
  });
  const cells = [
    cell('daily', 'complete', 10, 10),
    cell('daily', 'partial', 10, 5),
    cell('daily', 'not_applicable', 10, 0),
    cell('fund_daily', 'missing', 4, 0),
  ];

  it('counts statuses and pools coverage over applicable cells only', () => {
    expect(summarize(cells)).toEqual({
      cells: 4,
      byStatus: { complete: 1, partial: 1, missing: 1, not_applicable: 1 },
      byPublication: { not_published: 0, partial: 0, complete: 0, revised: 0 },
      byModule: {
        daily: { complete: 1, partial: 1, missing: 0, not_applicable: 1, coverage: 0.75 },
        fund_daily: { complete: 0, partial: 0, missing: 1, not_applicable: 0, coverage: 0 },
      },
    });
  });

  it('gives the gates the universe coverage, not-applicable as null', () => {
    const series = coverageSeries([...cells, { ...cell('daily', 'complete', 1, 1), target: '000001.SZ' }]);
    expect(series).toHaveLength(4);
    expect(series[2]).toEqual({ tradeDate: '20260213', module: 'daily', coverage: null });
  });
});

describe('publicationOf', () => {
  const applicable = { status: 'partial', coverage: 0.5 } as const;

  it('names a day by what is stored against its expected set, and by its revisions', () => {
    const of = (got: number, expected: number, revisions = 0) =>
      publicationOf(
        { status: got === 0 ? 'missing' : 'complete', coverage: null },
        { got, expected, revisions },
      );
    expect(of(0, 10)).toBe('not_published');
    expect(of(4, 10)).toBe('partial');
    expect(of(10, 10)).toBe('complete');
    expect(of(10, 10, 1)).toBe('revised');
  });

  it('keeps a partial day partial when some of its rows were revised: rows are still owed', () => {
    expect(publicationOf(applicable, { got: 5, expected: 10, revisions: 2 })).toBe('partial');
  });

  it('gives a cell that is not applicable no publication state', () => {
    const na = { status: 'not_applicable', coverage: null, reason: 'market closed' } as const;
    expect(publicationOf(na, { got: 0, expected: 0, revisions: 0 })).toBeUndefined();
  });

  it('counts universe cells by publication state and hands the state to the gates', () => {
    const cells: MatrixCell[] = [
      {
        target: 'universe',
        module: 'daily',
        tradeDate: '20260212',
        status: 'partial',
        expected: 10,
        got: 9,
        coverage: 0.9,
        publication: 'partial',
      },
      {
        target: 'universe',
        module: 'daily',
        tradeDate: '20260213',
        status: 'complete',
        expected: 10,
        got: 10,
        coverage: 1,
        publication: 'revised',
        revisions: 1,
      },
    ];
    expect(summarize(cells).byPublication).toEqual({ not_published: 0, partial: 1, complete: 0, revised: 1 });
    expect(coverageSeries(cells).map((p) => p.publication)).toEqual(['partial', 'revised']);
  });
});
