import type { ControlPayload } from '../../contracts/events/control.js';
import type { FlagName, RolloutFlags } from '../../contracts/flags.js';
import type { BatchGate } from './types.js';

/**
 * The roadmap's phase rules: A → B(P0) → C(P1) → D(P2) → E, one at a time; a phase is left only
 * through its exit gate; a regression of any gate already passed freezes the later phases and rolls
 * the current phase back. Pure decisions: the command that appends PhaseAdvanced / PhaseFrozen /
 * FlagsChanged acts on them.
 */
export type Phase = ControlPayload<'PhaseAdvanced'>['to'];
export const PHASES: readonly Phase[] = ['A', 'B', 'C', 'D', 'E'];

/** A's exit is the foundation's health (schema, flags and rollback baselines); E has no exit. */
export type ExitGate = 'foundation' | BatchGate;
export const EXIT_GATE: Readonly<Record<Phase, ExitGate | null>> = {
  A: 'foundation',
  B: 'p0',
  C: 'p1',
  D: 'p2',
  E: null,
};

const BATCH_SWITCH: Readonly<Record<BatchGate, FlagName>> = {
  p0: 'p0Enabled',
  p1: 'p1Enabled',
  p2: 'p2Enabled',
};

/** What a decision needs of a gate; a GateVerdict is one, and so is `{ gate: 'foundation', passed }`. */
export interface GateOutcome {
  gate: string;
  passed: boolean;
  failures?: readonly string[];
}

export type AdvanceDecision =
  | { allowed: true; from: Phase; to: Phase; gate: ExitGate; liftsFreeze: boolean }
  | { allowed: false; reasons: string[] };

export interface RegressionDecision {
  phase: Phase;
  /** Phases after the current one, which may not start while this holds. */
  freeze: Phase[];
  /** The current batch switched off: the partial flags for the FlagsChanged that rolls it back. */
  rollbackFlags: Partial<RolloutFlags>;
  rolledBackTo: Phase | null;
  failedGates: ExitGate[];
  reason: string;
}

const indexOf = (phase: Phase) => PHASES.indexOf(phase);

/** Exit gates of the phases before `phase`: passed to get here, so they must keep holding. */
function passedGates(phase: Phase): ExitGate[] {
  return PHASES.slice(0, indexOf(phase))
    .map((p) => EXIT_GATE[p])
    .filter((g): g is ExitGate => g !== null);
}

/**
 * Advancing needs the current phase's exit gate. Entering P2 (and E) also needs the earlier batch
 * gates still passing (roadmap: "进入 P2 前，MUST 确认 P0/P1 门禁稳定"), given in `held`.
 *
 * A freeze is not a lock of its own: PhaseFrozen rolled the phase back, and the advance that finds
 * its exit gate holding again lifts it (a PhaseUnfrozen before the PhaseAdvanced;
 * projections/commands/phases.ts). A frozen phase therefore advances as soon as its exit gate (and
 * the held gates) hold again — the freeze's reason is superseded by that verdict — and while they
 * do not, the refusal says it is frozen beside the failing conditions.
 */
export function decideAdvance(
  current: Phase,
  frozen: boolean,
  exit: GateOutcome,
  held: readonly GateOutcome[] = [],
): AdvanceDecision {
  const next = PHASES[indexOf(current) + 1];
  const expected = EXIT_GATE[current];
  if (next === undefined || expected === null) return { allowed: false, reasons: ['final_phase'] };
  const reasons: string[] = [];
  if (exit.gate !== expected) reasons.push(`wrong_exit_gate:${exit.gate}!=${expected}`);
  else if (!exit.passed) reasons.push(`exit_gate_failed:${expected}`, ...(exit.failures ?? []));
  for (const gate of passedGates(current).filter((g) => g !== 'foundation')) {
    const outcome = held.find((h) => h.gate === gate);
    if (outcome === undefined) reasons.push(`held_gate_missing:${gate}`);
    else if (!outcome.passed) reasons.push(`held_gate_failed:${gate}`);
  }
  if (reasons.length > 0)
    return { allowed: false, reasons: frozen ? [`phase_frozen:${current}`, ...reasons] : reasons };
  return { allowed: true, from: current, to: next, gate: expected, liftsFreeze: frozen };
}

/** What A's exit gate looks at: the store and the log set up, and flags a rollback can return to. */
export interface FoundationInput {
  /** Migrations the store has not applied. */
  migrationsPending: readonly string[];
  /** Topics the log does not have. */
  topicsMissing: readonly string[];
  /** Offset of the FlagsChanged in force; null while only the defaults are (no flags baseline). */
  flagsOffset: number | null;
  /** Offset of the latest FlagsChanged that restored an earlier state; null before any (no rollback baseline). */
  rollbackOffset: number | null;
}

/**
 * The foundation gate (phase A's exit, roadmap: schema, flags and rollback baselines): the schema
 * is complete, the topics exist, a flags state is on record (a rollback needs an offset to restore,
 * and the defaults have none), and a rollback to it is on record. `xasset migrate` sets all four
 * up (projections/commands/baselines.ts).
 */
export function evaluateFoundation(input: FoundationInput): Required<GateOutcome> & { gate: 'foundation' } {
  const failures = [
    ...input.migrationsPending.map((name) => `migration_pending:${name}`),
    ...input.topicsMissing.map((topic) => `topic_missing:${topic}`),
    ...(input.flagsOffset === null ? ['flags_baseline_missing'] : []),
    ...(input.rollbackOffset === null ? ['rollback_baseline_missing'] : []),
  ];
  return { gate: 'foundation', passed: failures.length === 0, failures };
}

/**
 * A gate passed earlier that fails now is a regression: freeze what comes later and switch the
 * current batch off. In E every batch is live, so the batches whose gates failed are switched off.
 * A gate without a verdict is not judged.
 */
export function decideRegression(
  current: Phase,
  verdicts: Partial<Record<ExitGate, GateOutcome>>,
): RegressionDecision | null {
  const failedGates = passedGates(current).filter((gate) => verdicts[gate]?.passed === false);
  if (failedGates.length === 0) return null;
  const currentGate = EXIT_GATE[current];
  const batches: BatchGate[] =
    currentGate === null
      ? failedGates.filter((g): g is BatchGate => g !== 'foundation')
      : currentGate === 'foundation'
        ? []
        : [currentGate];
  return {
    phase: current,
    freeze: PHASES.slice(indexOf(current) + 1),
    rollbackFlags: Object.fromEntries(batches.map((b) => [BATCH_SWITCH[b], false])),
    rolledBackTo: PHASES[indexOf(current) - 1] ?? null,
    failedGates,
    reason: `gate_regressed:${failedGates.join(',')}`,
  };
}
