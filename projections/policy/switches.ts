import { effectiveFlags, FLAG_NAMES, type FlagName, type RolloutFlags } from '../../contracts/flags.js';
import { PHASES, type Phase } from '../reducers/phases.js';

/**
 * The effective switch: what may run is what the flags switch on AND what the phase record allows.
 * The roadmap's phase rules are MUSTs for the pipeline, not only for the phase record: one batch at
 * a time in the order A → B(P0) → C(P1) → D(P2) → E, nothing of a later phase before its exit
 * gate, and a regression freezes the later phases. Pure: the planner, the daily job, the matrix,
 * the API and the CLI all ask this one rule.
 */

/** The phase record as the rule needs it (projections/reducers/phases.ts folds it). */
export interface PhaseRecord {
  phase: Phase;
  /** A freeze rolled `phase` back from the one after it; that one and every later one stay shut. */
  frozen: boolean;
  frozenReason?: string | null;
}

/**
 * The phase from which each switch may take effect. P0 from B, P1 from C, P2 and its sub-switches
 * from D. The recovery modules (R1/R2: index_daily, daily_basic, moneyflow, in waves) from D too:
 * the recovery plan starts from R0's stable main chain (prices + FX + macro, P0 + P1) and its wave
 * gate requires the P0/P1 gates to stay stable, which is what leaving C certifies. They belong to
 * no batch and never block the main chain, so they do not break "one batch at a time". From E on
 * every switch may take effect.
 */
export const OPENS_AT: Readonly<Record<FlagName, Phase>> = {
  p0Enabled: 'B',
  p1Enabled: 'C',
  p2Enabled: 'D',
  p2RealtimeIndexV1: 'D',
  p2RealtimeEquityEtfV1: 'D',
  p2FuturesMicrostructureV1: 'D',
  p2SpecialPermissionStkPremarketV1: 'D',
  universeIndexDailyEnabled: 'D',
  universeDailyBasicEnabled: 'D',
  universeMoneyflowEnabled: 'D',
};

/**
 * Why a switch is not in force: `switched_off` (the stored flag is false), `p2_master_off` (a p2
 * sub-switch while `p2Enabled` is false), `phase` (the phase record does not allow it yet, or a
 * freeze shut it).
 */
export type SwitchReason = 'switched_off' | 'p2_master_off' | 'phase';

export interface SwitchState {
  stored: boolean;
  effective: boolean;
  /** Null when the switch is in force. */
  reason: SwitchReason | null;
  /** The reason in words; null when in force. */
  detail: string | null;
}

export interface SwitchOptions {
  /**
   * `--force-phase`: an operator's backfill before a phase opens. The phase rule is set aside;
   * the flags and the p2 master switch still apply.
   */
  forcePhase?: boolean;
}

/** Whether the phase record lets a switch take effect, and if not, why in words. */
export function phaseAllows(
  name: FlagName,
  record: PhaseRecord,
): { allowed: true } | { allowed: false; detail: string } {
  const opens = OPENS_AT[name];
  if (PHASES.indexOf(record.phase) >= PHASES.indexOf(opens)) return { allowed: true };
  const shut = PHASES[PHASES.indexOf(record.phase) + 1];
  if (record.frozen && shut !== undefined) {
    const why = record.frozenReason ? ` (${record.frozenReason})` : '';
    return {
      allowed: false,
      detail: `phase ${shut} is frozen${why}: phase ${record.phase} again until its gate holds; ${name} takes effect from phase ${opens}`,
    };
  }
  return {
    allowed: false,
    detail: `${name} takes effect from phase ${opens}; the store is in phase ${record.phase}`,
  };
}

/** Every switch: stored, in force, and why not. */
export function switchStates(
  flags: RolloutFlags,
  record: PhaseRecord,
  options: SwitchOptions = {},
): Record<FlagName, SwitchState> {
  const byFlags = effectiveFlags(flags);
  const out = {} as Record<FlagName, SwitchState>;
  for (const name of FLAG_NAMES) {
    const stored = flags[name];
    const off = (reason: SwitchReason, detail: string): SwitchState => ({
      stored,
      effective: false,
      reason,
      detail,
    });
    if (!stored) {
      out[name] = off('switched_off', `${name} is false`);
      continue;
    }
    if (!byFlags[name]) {
      out[name] = off('p2_master_off', `${name} has no effect while p2Enabled is false`);
      continue;
    }
    const phase = options.forcePhase ? ({ allowed: true } as const) : phaseAllows(name, record);
    out[name] = phase.allowed
      ? { stored, effective: true, reason: null, detail: null }
      : off('phase', phase.detail);
  }
  return out;
}

/** The flags in force, as a rollout_flags_v1 object (same `updatedAt` as the stored one). */
export function effectiveSwitches(
  flags: RolloutFlags,
  record: PhaseRecord,
  options: SwitchOptions = {},
): RolloutFlags {
  const states = switchStates(flags, record, options);
  const effective = { ...flags };
  for (const name of FLAG_NAMES) effective[name] = states[name].effective;
  return effective;
}

/** The switches whose stored and effective values differ, with the reason for each. */
export function switchDifferences(
  flags: RolloutFlags,
  record: PhaseRecord,
  options: SwitchOptions = {},
): Partial<Record<FlagName, { reason: SwitchReason; detail: string }>> {
  const states = switchStates(flags, record, options);
  const out: Partial<Record<FlagName, { reason: SwitchReason; detail: string }>> = {};
  for (const name of FLAG_NAMES) {
    const s = states[name];
    if (s.stored !== s.effective && s.reason !== null && s.detail !== null)
      out[name] = { reason: s.reason, detail: s.detail };
  }
  return out;
}

/**
 * The roadmap's post-verification state (默认全开态): once P0, P1 and P2 gates all hold in phase
 * E, every batch switch and every accepted p2 sub-switch is on. Two switches keep their own rules:
 * premarket stays behind its permission probe (it is left as stored, never turned on here), and
 * the recovery modules follow their waves (left as stored).
 */
export const POST_VERIFICATION_ON: readonly FlagName[] = [
  'p0Enabled',
  'p1Enabled',
  'p2Enabled',
  'p2RealtimeIndexV1',
  'p2RealtimeEquityEtfV1',
  'p2FuturesMicrostructureV1',
];

/** The stored flags brought to the post-verification state; null when they already are. */
export function postVerificationFlags(flags: RolloutFlags): Omit<RolloutFlags, 'updatedAt'> | null {
  if (POST_VERIFICATION_ON.every((name) => flags[name])) return null;
  const { updatedAt: _, ...switches } = flags;
  for (const name of POST_VERIFICATION_ON) switches[name] = true;
  return switches;
}
