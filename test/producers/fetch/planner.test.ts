import { describe, expect, it } from 'vitest';
import { endpoint, endpointsForBatch } from '../../../contracts/catalog/index.js';
import { ValidationError } from '../../../contracts/errors.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { barsPerDay, FUTURES_EXCHANGE_SUFFIX, FUTURES_SESSIONS } from '../../../contracts/sessions.js';
import {
  barsPerInstrumentDay,
  DATE_RANGE_LOOKBACK_DAYS,
  dailyRange,
  type FetchTask,
  minuteWindowDays,
  openDatesOf,
  type PlanInput,
  planFetch,
  SLICES,
  windows,
} from '../../../producers/fetch/planner.js';

// Mon 5 … Fri 16 Jan 2026, with Wednesday 7 a (made-up) holiday and the weekend closed.
const OPEN = ['20260105', '20260106', '20260108', '20260109', '20260112', '20260113', '20260114'];
const base: PlanInput = {
  endpoints: 'p0',
  from: '20260105',
  to: '20260114',
  openDates: OPEN,
  flags: DEFAULT_FLAGS,
  cursors: {},
};

const of = (tasks: readonly FetchTask[], api: string) => tasks.filter((t) => t.apiName === api);
const days = (tasks: readonly FetchTask[]) => [...new Set(tasks.map((t) => t.params.trade_date))];

describe('planFetch: P0 by trade date', () => {
  const { tasks, skipped } = planFetch(base);

  it('plans one call per open trade date for each whole-market endpoint, and skips closed days', () => {
    for (const api of ['daily', 'fund_daily', 'sge_daily']) {
      const mine = of(tasks, api);
      expect(mine).toHaveLength(OPEN.length);
      expect(mine.map((t) => t.params)).toEqual(OPEN.map((trade_date) => ({ trade_date })));
      expect(mine.map((t) => t.cursor)).toEqual(OPEN.map((value) => ({ name: `fetch.${api}`, value })));
    }
    expect(days(tasks.filter((t) => t.params.trade_date !== undefined))).not.toContain('20260107');
    expect(days(tasks.filter((t) => t.params.trade_date !== undefined))).not.toContain('20260110');
  });

  it('splits fut_daily by exchange, as its catalog entry asks: one call per exchange per day', () => {
    const fut = of(tasks, 'fut_daily');
    const exchanges = (SLICES.fut_daily ?? []).map((s) => s.exchange);
    expect(exchanges).toHaveLength(6);
    expect(fut).toHaveLength(OPEN.length * exchanges.length);
    expect(fut.filter((t) => t.params.trade_date === '20260105').map((t) => t.params.exchange)).toEqual(
      exchanges,
    );
  });

  it('takes reference snapshots once, with the slices that keep rows from being left out', () => {
    expect(of(tasks, 'stock_basic').map((t) => t.params.list_status)).toEqual(['L', 'D', 'P']);
    expect(of(tasks, 'fund_basic').map((t) => t.params)).toEqual([{ market: 'E' }]);
    expect(of(tasks, 'fut_basic').map((t) => t.params.exchange)).toEqual(
      SLICES.fut_daily?.map((s) => s.exchange),
    );
    expect(of(tasks, 'sge_basic').map((t) => t.params)).toEqual([{}]);
    expect(of(tasks, 'index_basic')).toHaveLength(7);
    for (const t of of(tasks, 'stock_basic'))
      expect(t.cursor).toEqual({ name: 'fetch.stock_basic', value: '20260114' });
  });

  it('leaves trade_cal to the run (it is fetched before planning) and plans only p0 endpoints', () => {
    expect(of(tasks, 'trade_cal')).toEqual([]);
    const p0 = new Set(endpointsForBatch('p0').map((s) => s.apiName));
    for (const t of tasks) expect(p0.has(t.apiName)).toBe(true);
    expect(skipped).toEqual([]);
  });

  it('orders snapshots first, then day by day across endpoints', () => {
    const firstDated = tasks.findIndex((t) => t.params.trade_date !== undefined);
    expect(tasks.slice(0, firstDated).every((t) => endpoint(t.apiName).fetchMode === 'snapshot')).toBe(true);
    const dated = tasks.slice(firstDated).map((t) => t.params.trade_date as string);
    expect(dated).toEqual([...dated].sort());
    expect(tasks.slice(firstDated, firstDated + 11).map((t) => t.apiName)).toEqual([
      'daily',
      'adj_factor',
      'suspend_d',
      'fund_daily',
      ...Array(6).fill('fut_daily'),
      'sge_daily',
    ]);
  });

  it('uses the range, not calendar days outside it', () => {
    const narrow = planFetch({ ...base, from: '20260108', to: '20260109', openDates: OPEN });
    expect(days(of(narrow.tasks, 'daily'))).toEqual(['20260108', '20260109']);
  });

  it('refuses a reversed or malformed range', () => {
    expect(() => planFetch({ ...base, from: '20260110', to: '20260105' })).toThrow(ValidationError);
    expect(() => planFetch({ ...base, from: '2026-01-05' })).toThrow(ValidationError);
    expect(() => planFetch({ ...base, endpoints: 'p9' as 'p0' })).toThrow(ValidationError);
  });
});

describe('planFetch: cursors', () => {
  it('skips days at or before each endpoint cursor, independently', () => {
    const { tasks } = planFetch({
      ...base,
      cursors: { 'fetch.daily': '20260109', 'fetch.fund_daily': '20260114', 'fetch.stock_basic': '20260114' },
    });
    expect(days(of(tasks, 'daily'))).toEqual(['20260112', '20260113', '20260114']);
    expect(of(tasks, 'fund_daily')).toEqual([]);
    expect(days(of(tasks, 'sge_daily'))).toEqual(OPEN);
    expect(of(tasks, 'stock_basic')).toEqual([]);
    expect(of(tasks, 'fund_basic')).toHaveLength(1);
  });

  it('reports an endpoint with nothing left as up to date, and re-plans everything on force', () => {
    const cursors = { 'fetch.daily': '20260114' };
    const plan = planFetch({ ...base, endpoints: ['daily'], cursors });
    expect(plan).toEqual({
      tasks: [],
      skipped: [
        {
          apiName: 'daily',
          reason: 'up_to_date',
          detail: 'its cursor already covers 20260114 (fetch.daily is at 20260114)',
        },
      ],
    });
    const forced = planFetch({ ...base, endpoints: ['daily'], cursors, force: true });
    expect(days(forced.tasks)).toEqual(OPEN);
  });

  it("uses a recovery module's own cursor name", () => {
    const flags = { ...DEFAULT_FLAGS, universeDailyBasicEnabled: true };
    const { tasks } = planFetch({
      ...base,
      endpoints: ['daily_basic'],
      flags,
      cursors: { 'fetch.daily_basic': '20260114', universe_daily_basic_cursor_v1: '20260112' },
    });
    expect(days(tasks)).toEqual(['20260113', '20260114']);
    expect(tasks[0]?.cursor?.name).toBe('universe_daily_basic_cursor_v1');
  });
});

describe('planFetch: flags', () => {
  it('skips every endpoint whose switch is off', () => {
    const { tasks, skipped } = planFetch({ ...base, flags: { ...DEFAULT_FLAGS, p0Enabled: false } });
    expect(tasks).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual(skipped.map(() => 'switch_off'));
    expect(skipped.map((s) => s.apiName)).toContain('daily');
  });

  it('treats a p2 sub-switch as off while p2Enabled is false', () => {
    const on = { ...DEFAULT_FLAGS, p2FuturesMicrostructureV1: true };
    const input = { ...base, endpoints: ['fut_holding', 'fut_wsr'] };
    expect(planFetch({ ...input, flags: on }).tasks).toHaveLength(2 * OPEN.length);
    const off = planFetch({ ...input, flags: { ...on, p2Enabled: false } });
    expect(off.tasks).toEqual([]);
    expect(off.skipped).toEqual([
      {
        apiName: 'fut_wsr',
        reason: 'switch_off',
        detail: 'p2FuturesMicrostructureV1 has no effect while p2Enabled is false',
      },
      {
        apiName: 'fut_holding',
        reason: 'switch_off',
        detail: 'p2FuturesMicrostructureV1 has no effect while p2Enabled is false',
      },
    ]);
  });

  it('keeps recovery modules off by default and plans them once switched on', () => {
    expect(planFetch({ ...base, endpoints: 'module' }).tasks).toEqual([]);
    const flags = { ...DEFAULT_FLAGS, universeMoneyflowEnabled: true };
    expect(days(planFetch({ ...base, endpoints: 'module', flags }).tasks)).toEqual(OPEN);
  });
});

describe('planFetch: per-instrument, date-range and period endpoints', () => {
  const flags = { ...DEFAULT_FLAGS, universeIndexDailyEnabled: true };

  it('plans per-code windows over the range, and skips an endpoint without a symbol pool', () => {
    const none = planFetch({ ...base, endpoints: ['index_daily'], flags });
    expect(none.skipped).toEqual([
      {
        apiName: 'index_daily',
        reason: 'no_pool',
        detail: expect.stringContaining('index_daily pool is empty'),
      },
    ]);
    const pools = { index_daily: ['000001.SH', '399001.SZ'] };
    const { tasks } = planFetch({ ...base, endpoints: ['index_daily'], flags, pools, windowDays: 3 });
    expect(tasks.map((t) => [t.params.ts_code, t.params.start_date, t.params.end_date])).toEqual([
      ['000001.SH', '20260105', '20260108'],
      ['399001.SZ', '20260105', '20260108'],
      ['000001.SH', '20260109', '20260113'],
      ['399001.SZ', '20260109', '20260113'],
      ['000001.SH', '20260114', '20260114'],
      ['399001.SZ', '20260114', '20260114'],
    ]);
    expect(tasks[0]?.cursor).toEqual({ name: 'universe_index_daily_cursor_v1', value: '20260108' });
    const resumed = planFetch({
      ...base,
      endpoints: ['index_daily'],
      flags,
      pools,
      cursors: { universe_index_daily_cursor_v1: '20260112' },
    });
    expect(resumed.tasks.map((t) => [t.params.start_date, t.params.end_date])).toEqual([
      ['20260113', '20260114'],
      ['20260113', '20260114'],
    ]);
  });

  it('fetches a new shard from the start of the range and the codes already in after the cursor', () => {
    const { tasks } = planFetch({
      ...base,
      endpoints: ['index_daily'],
      flags,
      pools: { index_daily: ['000001.SH', '399001.SZ'] },
      backfill: { index_daily: ['399001.SZ'] },
      cursors: { universe_index_daily_cursor_v1: '20260112' },
    });
    expect(tasks.map((t) => [t.params.ts_code, t.params.start_date, t.params.end_date])).toEqual([
      ['399001.SZ', '20260105', '20260114'],
      ['000001.SH', '20260113', '20260114'],
    ]);
    expect(new Set(tasks.map((t) => t.cursor?.value))).toEqual(new Set(['20260114']));
  });

  it('asks the phase record too: a batch its phase has not opened is skipped with reason phase', () => {
    const inA = planFetch({
      ...base,
      endpoints: ['daily', 'fx_daily'],
      phase: { phase: 'A', frozen: false },
    });
    expect(inA.tasks).toEqual([]);
    expect(inA.skipped).toEqual([
      {
        apiName: 'daily',
        reason: 'phase',
        detail: 'p0Enabled takes effect from phase B; the store is in phase A',
      },
      {
        apiName: 'fx_daily',
        reason: 'phase',
        detail: 'p1Enabled takes effect from phase C; the store is in phase A',
      },
    ]);
    const inB = planFetch({
      ...base,
      endpoints: ['daily', 'fx_daily'],
      flags: { ...DEFAULT_FLAGS, p0Enabled: false },
      phase: { phase: 'B', frozen: false },
    });
    expect(inB.skipped).toEqual([
      { apiName: 'daily', reason: 'switch_off', detail: 'p0Enabled is false' },
      {
        apiName: 'fx_daily',
        reason: 'phase',
        detail: 'p1Enabled takes effect from phase C; the store is in phase B',
      },
    ]);
    // A forced run sets the phase aside, never the flags.
    const forced = planFetch({ ...base, phase: { phase: 'A', frozen: false }, forcePhase: true });
    expect(new Set(forced.tasks.map((t) => t.apiName)).has('daily')).toBe(true);
    expect(
      dailyRange({
        today: '20260114',
        endpoints: ['daily'],
        flags: DEFAULT_FLAGS,
        cursors: { 'fetch.daily': '20260108' },
        phase: { phase: 'A', frozen: false },
      }),
    ).toEqual({ from: '20260114', to: '20260114' });
  });

  it('cuts windows that leave no calendar day out', () => {
    expect(windows('20260103', OPEN, 2)).toEqual([
      { start: '20260103', end: '20260106' },
      { start: '20260107', end: '20260109' },
      { start: '20260110', end: '20260113' },
      { start: '20260114', end: '20260114' },
    ]);
  });

  it('plans minute history in windows that meet between the day and night sessions', () => {
    const { tasks } = planFetch({
      ...base,
      endpoints: ['ft_mins'],
      pools: { ft_mins: ['CU2603.SHF'] },
      minuteFreq: '5min',
    });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.params).toEqual({
      ts_code: 'CU2603.SHF',
      freq: '5min',
      // Monday 2026-01-05's night session is held on Friday evening.
      start_date: '2026-01-02 16:00:00',
      end_date: '2026-01-14 16:00:00',
    });
  });

  it('re-reads a lookback window of daily macro series, and windows long ranges at the row limit', () => {
    const limit = endpoint('shibor').rowLimit;
    const first = planFetch({ ...base, endpoints: ['shibor'], from: '20000101', to: '20260114' });
    expect(first.tasks.length).toBe(
      Math.ceil((Date.UTC(2026, 0, 15) - Date.UTC(2000, 0, 1)) / 86_400_000 / limit),
    );
    expect(first.tasks[0]?.params).toEqual({ start_date: '20000101', end_date: '20050622' });
    expect(first.tasks.at(-1)?.params.end_date).toBe('20260114');
    const again = planFetch({ ...base, endpoints: ['shibor'], cursors: { 'fetch.shibor': '20260114' } });
    expect(again.tasks.map((t) => t.params)).toEqual([{ start_date: '20260105', end_date: '20260114' }]);
    expect(DATE_RANGE_LOOKBACK_DAYS).toBe(10);
  });

  it('plans monthly and quarterly series by period with a lookback for late releases', () => {
    const { tasks } = planFetch({ ...base, endpoints: ['cn_cpi', 'cn_gdp'] });
    expect(tasks.map((t) => [t.apiName, t.params])).toEqual([
      ['cn_cpi', { start_m: '202507', end_m: '202601' }],
      ['cn_gdp', { start_q: '2025Q3', end_q: '2026Q1' }],
    ]);
  });

  it('plans realtime endpoints only for today, on an open day, without a cursor', () => {
    const input = {
      ...base,
      endpoints: ['rt_etf_k', 'rt_min'],
      pools: { rt_min: ['a', 'b', 'c', 'd', 'e'] },
    };
    expect(planFetch(input).skipped.map((s) => s.reason)).toEqual(['not_today', 'not_today']);
    const { tasks } = planFetch({ ...input, today: '20260114' });
    expect(tasks.map((t) => t.params)).toEqual([
      { ts_code: '5*.SH', topic: 'HQ_FND_TICK' },
      { ts_code: '1*.SZ' },
      { freq: '1MIN', ts_code: 'a,b,c,d' },
      { freq: '1MIN', ts_code: 'e' },
    ]);
    expect(tasks.every((t) => t.cursor === undefined)).toBe(true);
  });
});

describe('slices and calendar', () => {
  it('only uses params each endpoint declares in the catalog', () => {
    for (const [api, slices] of Object.entries(SLICES)) {
      const declared = new Set(endpoint(api).params.map((p) => p.name));
      for (const slice of slices ?? [])
        for (const name of Object.keys(slice)) expect(declared).toContain(name);
    }
  });

  it('reads open days from trade_cal rows whether is_open is a string or a number', () => {
    expect(
      openDatesOf([
        { exchange: 'SSE', cal_date: '20260106', is_open: 1, pretrade_date: '20260105' },
        { exchange: 'SSE', cal_date: '20260105', is_open: '1', pretrade_date: null },
        { exchange: 'SSE', cal_date: '20260107', is_open: '0', pretrade_date: '20260106' },
        { exchange: 'SZSE', cal_date: '20260110', is_open: '1', pretrade_date: '20260109' },
        { exchange: 'SSE', cal_date: '20260105', is_open: '1', pretrade_date: null },
      ]),
    ).toEqual(['20260105', '20260106']);
  });
});

describe('dailyRange', () => {
  it('starts the day after the earliest cursor of the switched-on dated endpoints', () => {
    const cursors = {
      'fetch.daily': '20260109',
      'fetch.fund_daily': '20260112',
      'fetch.fut_daily': '20260113',
      'fetch.sge_daily': '20260113',
      'fetch.stock_basic': '20251201',
      'fetch.fund_basic': '20260113',
      'fetch.fut_basic': '20260113',
      'fetch.sge_basic': '20260113',
      'fetch.index_basic': '20260113',
    };
    expect(dailyRange({ today: '20260114', endpoints: 'p0', flags: DEFAULT_FLAGS, cursors })).toEqual({
      from: '20251202',
      to: '20260114',
    });
    const referenceDone = { ...cursors, 'fetch.stock_basic': '20260113' };
    expect(
      dailyRange({ today: '20260114', endpoints: 'p0', flags: DEFAULT_FLAGS, cursors: referenceDone }).from,
    ).toBe('20260110');
  });

  it('starts at initialFrom for a never-fetched endpoint, and never after today', () => {
    const flags = DEFAULT_FLAGS;
    expect(dailyRange({ today: '20260114', endpoints: ['daily'], flags, cursors: {} })).toEqual({
      from: '20260114',
      to: '20260114',
    });
    expect(
      dailyRange({ today: '20260114', endpoints: ['daily'], flags, cursors: {}, initialFrom: '20250101' })
        .from,
    ).toBe('20250101');
    const ahead = { 'fetch.daily': '20260114' };
    expect(dailyRange({ today: '20260114', endpoints: ['daily'], flags, cursors: ahead }).from).toBe(
      '20260114',
    );
  });
});

describe('planFetch: days fetched again (re-check)', () => {
  const cursors = { 'fetch.daily': '20260109', 'fetch.fut_daily': '20260109' };
  const { tasks } = planFetch({
    ...base,
    endpoints: ['daily', 'fut_daily'],
    cursors,
    recheck: { daily: ['20260106', '20260109'], fut_daily: ['20260108'] },
  });

  it('plans the re-checked days at or before the cursor, with no cursor to move, before the new days', () => {
    const daily = of(tasks, 'daily');
    expect(daily.map((t) => [t.params.trade_date, t.cursor?.value ?? null])).toEqual([
      ['20260106', null],
      ['20260109', null],
      ['20260112', '20260112'],
      ['20260113', '20260113'],
      ['20260114', '20260114'],
    ]);
  });

  it('re-checks every slice of a sliced endpoint', () => {
    const again = of(tasks, 'fut_daily').filter((t) => t.params.trade_date === '20260108');
    expect(again.map((t) => t.params.exchange)).toEqual(SLICES.fut_daily?.map((s) => s.exchange));
    expect(again.every((t) => t.cursor === undefined)).toBe(true);
  });

  it('ignores a re-check day outside the range or not open', () => {
    const plan = planFetch({
      ...base,
      endpoints: ['daily'],
      cursors,
      recheck: { daily: ['20260102', '20260110'] },
    });
    expect(days(plan.tasks)).toEqual(['20260112', '20260113', '20260114']);
  });
});

describe('minute windows that fill a page', () => {
  const stk = endpoint('stk_mins');
  const ft = endpoint('ft_mins');

  it('hold as many whole days of a code as one page takes, and not one more', () => {
    const cases = [
      { spec: stk, code: '600000.SH', freq: '1min' },
      { spec: endpoint('idx_mins'), code: '000300.SH', freq: '5min' },
      ...Object.entries(FUTURES_EXCHANGE_SUFFIX).flatMap(([, suffix]) =>
        ['1min', '15min'].map((freq) => ({ spec: ft, code: `X2409.${suffix}`, freq })),
      ),
    ];
    for (const { spec, code, freq } of cases) {
      const days = minuteWindowDays(spec, freq, code);
      const bars = barsPerInstrumentDay(spec, freq, code);
      expect(days * bars, `${code} ${freq}`).toBeLessThanOrEqual(spec.rowLimit);
      expect((days + 1) * bars, `${code} ${freq}`).toBeGreaterThan(spec.rowLimit);
    }
    // 241 bars a stock day; a SHFE day with its night session to 01:00 has 465, a DCE one 345.
    expect(minuteWindowDays(stk, '1min', '600000.SH')).toBe(33);
    expect(minuteWindowDays(ft, '1min', 'CU2409.SHF')).toBe(17);
    expect(minuteWindowDays(ft, '1min', 'M2409.DCE')).toBe(23);
    expect(minuteWindowDays(ft, '1min', 'IF2409.CFX')).toBe(33);
  });

  it('size a futures code of no known exchange by the longest exchange day', () => {
    const longest = Math.max(...Object.values(FUTURES_SESSIONS).map((s) => barsPerDay(s, 1)));
    expect(barsPerInstrumentDay(ft, '1min', 'CU2409.XYZ')).toBe(longest);
    expect(minuteWindowDays(ft, '1min', 'CU2409.XYZ')).toBe(minuteWindowDays(ft, '1min', 'CU2409.SHF'));
  });

  it('cut each contract by its own exchange, every day once, and carry the first day in the cursor', () => {
    // Eight weeks of weekdays from Monday 2026-01-05: 40 open days.
    const open: string[] = [];
    for (let d = new Date(Date.UTC(2026, 0, 5)); open.length < 40; d.setUTCDate(d.getUTCDate() + 1))
      if (d.getUTCDay() % 6 !== 0) open.push(d.toISOString().slice(0, 10).replaceAll('-', ''));
    const codes = ['CU2609.SHF', 'M2609.DCE'];
    const { tasks } = planFetch({
      ...base,
      endpoints: ['ft_mins'],
      from: open[0] as string,
      to: open.at(-1) as string,
      openDates: open,
      pools: { ft_mins: codes },
    });
    for (const code of codes) {
      const mine = tasks.filter((t) => t.params.ts_code === code);
      const size = minuteWindowDays(ft, '1min', code);
      expect(mine, code).toHaveLength(Math.ceil(open.length / size));
      const ends = mine.map((t) => t.cursor?.value);
      expect(ends).toEqual(open.filter((_, i) => (i + 1) % size === 0 || i === open.length - 1));
      // Each window starts the day after the one before it ends.
      expect(mine.map((t) => t.cursor?.from)).toEqual([
        open[0],
        ...ends.slice(0, -1).map((e) => next(e as string)),
      ]);
    }
    // Planned day by day across codes, as the cursor tracker expects.
    const values = tasks.map((t) => t.cursor?.value as string);
    expect(values).toEqual([...values].sort());
  });
});

const next = (ymd: string): string => {
  const d = new Date(
    Date.UTC(Number(ymd.slice(0, 4)), Number(ymd.slice(4, 6)) - 1, Number(ymd.slice(6)) + 1),
  );
  return d.toISOString().slice(0, 10).replaceAll('-', '');
};
