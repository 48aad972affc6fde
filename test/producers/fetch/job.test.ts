import { describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { DEFAULT_FLAGS, type RolloutFlags } from '../../../contracts/flags.js';
import { handPickedStage, planJob } from '../../../producers/fetch/job.js';
import { isSwitchedOn } from '../../../producers/fetch/planner.js';

const switchedOn = (flags: RolloutFlags) => (spec: Parameters<typeof isSwitchedOn>[0]) =>
  isSwitchedOn(spec, flags);

describe('planJob', () => {
  it('runs the reference snapshots, then P0 and P1 on the main chain, with the roadmap baseline flags', () => {
    const stages = planJob(switchedOn(DEFAULT_FLAGS)).filter((s) => s.blocking);
    expect(stages.map((s) => [s.name, s.chain, s.batch, s.blocking])).toEqual([
      ['reference', 'main', 'reference', true],
      ['p0', 'main', 'p0', true],
      ['p1', 'main', 'p1', true],
    ]);
    const [reference, p0, p1] = stages;
    expect(reference?.endpoints).toEqual(
      expect.arrayContaining([
        'stock_basic',
        'fund_basic',
        'fut_basic',
        'sge_basic',
        'index_basic',
        'fx_obasic',
      ]),
    );
    for (const api of reference?.endpoints ?? []) expect(endpoint(api).role).toBe('reference');
    expect(p0?.endpoints).toEqual([
      'daily',
      'adj_factor',
      'suspend_d',
      'fund_daily',
      'fut_daily',
      'sge_daily',
    ]);
    expect(p1?.endpoints).toContain('fx_daily');
    expect(p1?.endpoints).toContain('cn_cpi');
    expect(p1?.endpoints).toContain('us_tycr');
    for (const stage of stages) expect(stage.endpoints).not.toContain('trade_cal');
  });

  it('adds the switched-on recovery modules after the main chain, in wave order, each non-blocking', () => {
    const flags = { ...DEFAULT_FLAGS, universeMoneyflowEnabled: true, universeIndexDailyEnabled: true };
    const modules = planJob(switchedOn(flags)).filter((s) => !s.blocking);
    expect(modules.map((s) => [s.name, s.chain, s.batch, s.endpoints])).toEqual([
      ['index_daily', 'index_daily', null, ['index_daily']],
      ['moneyflow', 'moneyflow', null, ['moneyflow']],
      ['p2RealtimeIndexV1', 'p2RealtimeIndexV1', 'p2', ['idx_mins']],
      ['p2RealtimeEquityEtfV1', 'p2RealtimeEquityEtfV1', 'p2', ['stk_mins']],
      ['p2FuturesMicrostructureV1', 'p2FuturesMicrostructureV1', 'p2', ['ft_mins', 'fut_wsr', 'fut_holding']],
    ]);
  });

  it('runs each P2 module as its own non-blocking chain of its history endpoints, never realtime ones', () => {
    const flags = { ...DEFAULT_FLAGS, p2SpecialPermissionStkPremarketV1: true };
    const p2 = planJob(switchedOn(flags)).filter((s) => s.batch === 'p2');
    expect(p2.map((s) => s.name)).toEqual([
      'p2RealtimeIndexV1',
      'p2RealtimeEquityEtfV1',
      'p2FuturesMicrostructureV1',
      'p2SpecialPermissionStkPremarketV1',
    ]);
    for (const stage of p2) {
      expect(stage.blocking).toBe(false);
      for (const api of stage.endpoints) expect(endpoint(api).role).not.toBe('realtime');
    }
    const off = planJob(switchedOn({ ...DEFAULT_FLAGS, p2Enabled: false }));
    expect(off.filter((s) => s.batch === 'p2')).toEqual([]);
  });

  it('plans a realtime job as one non-blocking stage per gray module with its realtime endpoints only', () => {
    const stages = planJob(switchedOn(DEFAULT_FLAGS), { realtime: true });
    expect(stages.map((s) => [s.name, s.chain, s.batch, s.blocking, s.endpoints])).toEqual([
      ['p2RealtimeIndexV1', 'p2RealtimeIndexV1', 'p2', false, ['rt_idx_k', 'rt_idx_min']],
      ['p2RealtimeEquityEtfV1', 'p2RealtimeEquityEtfV1', 'p2', false, ['rt_etf_k', 'rt_min']],
    ]);
    const indexOff = planJob(switchedOn({ ...DEFAULT_FLAGS, p2RealtimeIndexV1: false }), { realtime: true });
    expect(indexOff.map((s) => s.name)).toEqual(['p2RealtimeEquityEtfV1']);
    expect(planJob(switchedOn({ ...DEFAULT_FLAGS, p2Enabled: false }), { realtime: true })).toEqual([]);
  });

  it('drops what the predicate turns off: P1 off leaves no P1 run and no fx_obasic', () => {
    const stages = planJob(switchedOn({ ...DEFAULT_FLAGS, p1Enabled: false, p2Enabled: false }));
    expect(stages.map((s) => s.name)).toEqual(['reference', 'p0']);
    expect(stages[0]?.endpoints).not.toContain('fx_obasic');
  });

  it('narrows to one main run of a batch or a list by hand', () => {
    expect(handPickedStage('p1')).toMatchObject({ chain: 'main', batch: 'p1', blocking: true });
    expect(handPickedStage(['fx_daily', 'daily'])).toMatchObject({
      batch: null,
      endpoints: ['daily', 'fx_daily'],
    });
  });
});
