import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../../contracts/catalog/index.js';
import { DEFAULT_FLAGS, type RolloutFlags } from '../../../contracts/flags.js';
import { evaluateGate } from '../../../projections/gates/evaluate.js';
import type { GateVerdict, WaveGate } from '../../../projections/gates/types.js';
import { WAVES } from '../../../projections/gates/types.js';
import {
  lastModuleOutcomes,
  mayStartWave,
  nextWaveAction,
  waveFlag,
} from '../../../projections/gates/waves.js';
import { at, coverage, FEB_2026, run, THRESHOLDS } from './fixtures.js';

const days = ['20260211', '20260212', '20260213'];
const now = at('20260213', '22:00');

/** Real verdicts: a wave with three clean days of its own runs passes, one without runs does not. */
function verdictFor(wave: (typeof WAVES)[number], clean: boolean): GateVerdict {
  const runs = clean
    ? days.flatMap((day) => [
        run({ startedAt: at(day, '18:00'), toDate: day }),
        run({ startedAt: at(day, '19:00'), toDate: day, chain: wave }),
      ])
    : [];
  return evaluateGate({
    gate: `wave:${wave}`,
    runs,
    coverage: coverage([wave], FEB_2026),
    openDates: FEB_2026,
    thresholds: THRESHOLDS,
    now,
  });
}

const passed = (...waves: (typeof WAVES)[number][]): Partial<Record<WaveGate, GateVerdict>> =>
  Object.fromEntries(WAVES.map((w) => [`wave:${w}`, verdictFor(w, waves.includes(w))]));

const flags = (on: Partial<RolloutFlags>): RolloutFlags => ({ ...DEFAULT_FLAGS, ...on });

describe('recovery waves', () => {
  it('are the catalog recovery modules, in the roadmap order, each with its own switch', () => {
    expect(WAVES).toEqual(ENDPOINTS.filter((s) => s.batch === 'module').map((s) => s.apiName));
    expect(WAVES.map(waveFlag)).toEqual([
      'universeIndexDailyEnabled',
      'universeDailyBasicEnabled',
      'universeMoneyflowEnabled',
    ]);
  });

  it('given nothing recovered yet, then the first wave starts: index_daily', () => {
    expect(nextWaveAction({ flags: DEFAULT_FLAGS, verdicts: passed(), lastOutcome: {} })).toEqual({
      action: 'start',
      wave: 'index_daily',
      flag: 'universeIndexDailyEnabled',
      patch: { universeIndexDailyEnabled: true },
      retry: false,
    });
  });

  it('given the first wave on and its gate still short, then wait on it, nothing else starts', () => {
    const action = nextWaveAction({
      flags: flags({ universeIndexDailyEnabled: true }),
      verdicts: passed(),
      lastOutcome: { index_daily: 'ok' },
    });
    expect(action).toMatchObject({ action: 'wait', wave: 'index_daily' });
  });

  it('given a failing wave, then switch off its own module flag and nothing else: the main chain is untouched', () => {
    const action = nextWaveAction({
      flags: flags({ universeIndexDailyEnabled: true, universeDailyBasicEnabled: true }),
      verdicts: passed('index_daily'),
      lastOutcome: { index_daily: 'ok', daily_basic: 'failed' },
    });
    expect(action).toEqual({
      action: 'switch_off',
      wave: 'daily_basic',
      flag: 'universeDailyBasicEnabled',
      patch: { universeDailyBasicEnabled: false },
      reason: 'wave_failed:daily_basic',
    });
  });

  it('given a wave switched off after failing, then it is retried in place, never skipped', () => {
    const action = nextWaveAction({
      flags: flags({ universeIndexDailyEnabled: true }),
      verdicts: passed('index_daily'),
      lastOutcome: { index_daily: 'ok', daily_basic: 'abandoned' },
    });
    expect(action).toMatchObject({ action: 'start', wave: 'daily_basic', retry: true });
  });

  it('given a passed wave, then the next one may start', () => {
    expect(passed('index_daily')['wave:index_daily']?.passed).toBe(true);
    expect(passed('index_daily')['wave:daily_basic']?.passed).toBe(false);
    const action = nextWaveAction({
      flags: flags({ universeIndexDailyEnabled: true }),
      verdicts: passed('index_daily'),
      lastOutcome: { index_daily: 'ok' },
    });
    expect(action).toMatchObject({ action: 'start', wave: 'daily_basic', retry: false });
  });

  it('given every wave passed, then done', () => {
    const all = flags({
      universeIndexDailyEnabled: true,
      universeDailyBasicEnabled: true,
      universeMoneyflowEnabled: true,
    });
    expect(
      nextWaveAction({ flags: all, verdicts: passed(...WAVES), lastOutcome: { index_daily: 'ok' } }),
    ).toEqual({ action: 'done' });
  });

  it('refuses to start a wave before the previous wave passed', () => {
    expect(mayStartWave('index_daily', {})).toEqual({ allowed: true });
    expect(mayStartWave('moneyflow', passed('index_daily'))).toEqual({
      allowed: false,
      reason: 'previous_wave_not_passed:daily_basic',
    });
    expect(mayStartWave('moneyflow', passed('index_daily', 'daily_basic'))).toEqual({ allowed: true });
  });

  it('takes the latest outcome of each module from module runs and module results, in log order', () => {
    const outcomes = lastModuleOutcomes([
      { ...run({ startedAt: 3, chain: 'index_daily', status: 'ok' }), controlOffset: 30 },
      { ...run({ startedAt: 1, chain: 'index_daily', status: 'failed' }), controlOffset: 10 },
      {
        ...run({ startedAt: 2 }),
        controlOffset: 20,
        moduleResults: [{ module: 'moneyflow', status: 'failed' }],
      },
      {
        ...run({ startedAt: 4, chain: 'daily_basic', status: 'running', finishedAt: null }),
        controlOffset: 40,
      },
    ]);
    expect(outcomes).toEqual({ index_daily: 'ok', moneyflow: 'failed' });
  });
});
