import { CommandRefusedError } from '../../contracts/errors.js';
import type { ControlEvent } from '../../contracts/events/control.js';
import type { FlagName } from '../../contracts/flags.js';
import { newControlEvent } from '../log/control-log.js';
import type { ControlState } from '../reducers/control.js';
import { nextPhase, PHASES, type Phase, previousPhase } from '../reducers/phases.js';
import { decideFlags } from './flags.js';
import { type CommandPorts, type CommandResult, requireText, requireTime, runCommand } from './handle.js';

/**
 * What these commands need of a gate verdict (projections/gates computes the full one): which
 * gate, whether it holds, and the failing condition codes.
 */
export interface GateVerdictInput {
  gate: string;
  passed: boolean;
  failures: readonly string[];
}

/** The gate that lets each phase be left (E is the last); names as projections/gates evaluates them. */
export const PHASE_EXIT_GATES: Readonly<Record<Phase, string | null>> = {
  A: 'foundation',
  B: 'p0',
  C: 'p1',
  D: 'p2',
  E: null,
};

/** The batch switch each batch gate stands for: entering a phase turns it on, a freeze off. */
const GATE_SWITCH: Readonly<Record<string, FlagName>> = {
  p0: 'p0Enabled',
  p1: 'p1Enabled',
  p2: 'p2Enabled',
};

const switchOfPhase = (phase: Phase): FlagName | undefined => {
  const gate = PHASE_EXIT_GATES[phase];
  return gate === null ? undefined : GATE_SWITCH[gate];
};

/** Exit gates of the phases before `phase`: passed to get here, so they must keep holding. */
export const passedGates = (phase: Phase): string[] =>
  PHASES.slice(0, PHASES.indexOf(phase))
    .map((p) => PHASE_EXIT_GATES[p])
    .filter((g): g is string => g !== null);

export interface AdvancePhaseInput {
  actor: string;
  /** The verdict of the current phase's exit gate. */
  gateVerdict: GateVerdictInput;
  now: number;
}

export interface PhaseResult extends CommandResult {
  phase: Phase;
}

/**
 * One phase forward, only through the current phase's exit gate. Entering a phase also turns its
 * batch switch on when a freeze had turned it off (a FlagsChanged under the usual rules). A frozen
 * phase is left the same way: its exit gate holding again is what lifts the freeze, recorded as a
 * PhaseUnfrozen before the PhaseAdvanced (logs written before that event lift it by the advance).
 */
export function decideAdvancePhase(
  state: ControlState,
  input: AdvancePhaseInput,
): Omit<PhaseResult, 'offsets'> {
  requireText({ actor: input.actor });
  requireTime(input.now);
  const from = state.phases.phase;
  const to = nextPhase(from);
  const exit = PHASE_EXIT_GATES[from];
  const verdict = input.gateVerdict;
  if (to === null || exit === null) {
    throw new CommandRefusedError('advancePhase', [`phase ${from} is the last phase`], { phase: from });
  }
  if (verdict.gate !== exit) {
    throw new CommandRefusedError(
      'advancePhase',
      [`the verdict is for gate ${verdict.gate}; phase ${from} is left through gate ${exit}`],
      { phase: from, gate: verdict.gate },
    );
  }
  if (!verdict.passed) {
    const failing = verdict.failures.length > 0 ? verdict.failures : ['gate did not pass'];
    throw new CommandRefusedError(
      'advancePhase',
      failing.map((f) => `${exit}: ${f}`),
      { phase: from, gate: exit, failures: [...verdict.failures] },
    );
  }
  const events: ControlEvent[] = [];
  if (state.phases.frozen) {
    const reason = `gate ${exit} holds again${state.phases.frozenReason ? ` (frozen: ${state.phases.frozenReason})` : ''}`;
    events.push(newControlEvent('PhaseUnfrozen', { phase: from, reason, gate: exit }, input));
  }
  events.push(newControlEvent('PhaseAdvanced', { from, to, gate: exit }, input));
  const entered = switchOfPhase(to);
  if (entered && !state.flags.current[entered]) {
    const reason = `phase ${to} entered through gate ${exit}`;
    events.push(
      ...decideFlags(
        state,
        { ...state.flags.current, [entered]: true },
        { ...input, reason },
        null,
        'advancePhase',
      ).events,
    );
  }
  return { events, phase: to };
}

export function advancePhase(ports: CommandPorts, input: AdvancePhaseInput): Promise<PhaseResult> {
  return runCommand(ports, (state) => decideAdvancePhase(state, input));
}

export interface FreezePhaseInput {
  actor: string;
  /** A failing verdict of a gate the current phase has already passed through. */
  gateVerdict: GateVerdictInput;
  now: number;
  reason?: string;
}

/**
 * A regression — a gate passed on the way here now failing — freezes the phases after the current
 * one and rolls the current one back: PhaseFrozen (back to the previous phase) and a FlagsChanged
 * turning the current phase's batch switch off (in E, which has no batch of its own, the switch of
 * the regressed batch gate).
 */
export function decideFreezePhase(
  state: ControlState,
  input: FreezePhaseInput,
): Omit<PhaseResult, 'offsets'> {
  requireText({ actor: input.actor });
  requireTime(input.now);
  const phase = state.phases.phase;
  const verdict = input.gateVerdict;
  const passed = passedGates(phase);
  if (!passed.includes(verdict.gate)) {
    throw new CommandRefusedError(
      'freezePhase',
      [
        passed.length === 0
          ? `phase ${phase} has passed no gate yet; nothing can regress`
          : `gate ${verdict.gate} is not one phase ${phase} passed through (${passed.join(', ')})`,
      ],
      { phase, gate: verdict.gate },
    );
  }
  if (verdict.passed) {
    throw new CommandRefusedError('freezePhase', [`gate ${verdict.gate} holds; nothing regressed`], {
      phase,
      gate: verdict.gate,
    });
  }
  const reason =
    input.reason ??
    `gate ${verdict.gate} regressed${verdict.failures.length > 0 ? `: ${verdict.failures.join(', ')}` : ''}`;
  const rolledBackTo = previousPhase(phase);
  const events: ControlEvent[] = [newControlEvent('PhaseFrozen', { phase, reason, rolledBackTo }, input)];
  const off = switchOfPhase(phase) ?? GATE_SWITCH[verdict.gate];
  if (off && state.flags.current[off]) {
    events.push(
      ...decideFlags(
        state,
        { ...state.flags.current, [off]: false },
        { ...input, reason },
        null,
        'freezePhase',
      ).events,
    );
  }
  return { events, phase: rolledBackTo ?? phase };
}

export function freezePhase(ports: CommandPorts, input: FreezePhaseInput): Promise<PhaseResult> {
  return runCommand(ports, (state) => decideFreezePhase(state, input));
}
