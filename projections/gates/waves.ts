import { endpoint } from '../../contracts/catalog/index.js';
import type { FlagName, RolloutFlags } from '../../contracts/flags.js';
import type { GateVerdict, RunState, RunView, Wave, WaveGate } from './types.js';
import { WAVES } from './types.js';

/**
 * The roadmap's recovery plan (Phase R2): waves in order index_daily → daily_basic → moneyflow.
 * A failing wave switches its own module off at once and nothing else (the main chain keeps
 * running); it is retried in the same wave after the fix, and no wave starts before the previous
 * wave's gate passed.
 */
export type WaveAction =
  | { action: 'switch_off'; wave: Wave; flag: FlagName; patch: Partial<RolloutFlags>; reason: string }
  | { action: 'start'; wave: Wave; flag: FlagName; patch: Partial<RolloutFlags>; retry: boolean }
  | { action: 'wait'; wave: Wave; reason: string }
  | { action: 'done' };

export interface WaveInput {
  /** The stored flags. */
  flags: RolloutFlags;
  verdicts: Partial<Record<WaveGate, GateVerdict>>;
  /** Each wave's latest finished outcome (see `lastModuleOutcomes`). */
  lastOutcome: Partial<Record<Wave, RunState>>;
}

export const waveFlag = (wave: Wave): FlagName => endpoint(wave).switch;

const failed = (state: RunState | undefined) => state === 'failed' || state === 'abandoned';

export function nextWaveAction(input: WaveInput): WaveAction {
  for (const wave of WAVES) {
    const flag = waveFlag(wave);
    if (input.flags[flag] && failed(input.lastOutcome[wave])) {
      return { action: 'switch_off', wave, flag, patch: { [flag]: false }, reason: `wave_failed:${wave}` };
    }
  }
  for (const wave of WAVES) {
    const verdict = input.verdicts[`wave:${wave}`];
    if (verdict?.passed) continue;
    const flag = waveFlag(wave);
    if (!input.flags[flag]) {
      return { action: 'start', wave, flag, patch: { [flag]: true }, retry: failed(input.lastOutcome[wave]) };
    }
    const progress = verdict
      ? `${verdict.cleanDayProgress} natural, ${verdict.cleanAsOfTradeDateProgress} as-of`
      : 'not evaluated';
    return { action: 'wait', wave, reason: `gate_in_progress:${progress}` };
  }
  return { action: 'done' };
}

/** A wave may be switched on only once every earlier wave's gate passed. */
export function mayStartWave(
  wave: Wave,
  verdicts: Partial<Record<WaveGate, GateVerdict>>,
): { allowed: true } | { allowed: false; reason: string } {
  for (const earlier of WAVES.slice(0, WAVES.indexOf(wave))) {
    if (!verdicts[`wave:${earlier}`]?.passed) {
      return { allowed: false, reason: `previous_wave_not_passed:${earlier}` };
    }
  }
  return { allowed: true };
}

/** The latest finished outcome per wave, from module runs and module results inside runs. */
export function lastModuleOutcomes(runs: readonly RunView[]): Partial<Record<Wave, RunState>> {
  const out: Partial<Record<Wave, RunState>> = {};
  const ordered = [...runs].sort((a, b) => a.controlOffset - b.controlOffset);
  for (const run of ordered) {
    for (const wave of WAVES) {
      if (run.chain === wave && run.status !== 'running') out[wave] = run.status;
      for (const result of run.moduleResults ?? []) if (result.module === wave) out[wave] = result.status;
    }
  }
  return out;
}
