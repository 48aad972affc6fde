import { CommandRefusedError } from '../../contracts/errors.js';
import { decideAdvance, type GateOutcome } from '../gates/phases.js';
import type { ControlState } from '../reducers/control.js';
import type { CommandPorts } from './handle.js';
import { runCommand } from './handle.js';
import { decideAdvancePhase, type PhaseResult } from './phases.js';

export interface AdvanceThroughGatesInput {
  actor: string;
  now: number;
  /** The verdict of the current phase's exit gate. */
  exit: GateOutcome;
  /** Verdicts of gates passed earlier; the roadmap's rule picks the ones that must still hold. */
  held?: readonly GateOutcome[];
}

/**
 * One phase forward under both rule books, decided on one folded state: the roadmap's (exit gate,
 * earlier batch gates still holding, a freeze lifted by a passing exit gate; projections/gates)
 * and the log's (legal move, batch switch on when entering; projections/commands/phases.ts).
 */
export function decideAdvanceThroughGates(
  state: ControlState,
  input: AdvanceThroughGatesInput,
): Omit<PhaseResult, 'offsets'> {
  const { phase, frozen } = state.phases;
  const decision = decideAdvance(phase, frozen, input.exit, input.held);
  if (!decision.allowed) {
    throw new CommandRefusedError('advancePhase', decision.reasons, { phase, frozen, gate: input.exit.gate });
  }
  return decideAdvancePhase(state, {
    actor: input.actor,
    now: input.now,
    gateVerdict: { gate: input.exit.gate, passed: input.exit.passed, failures: input.exit.failures ?? [] },
  });
}

export function advancePhaseThroughGates(
  ports: CommandPorts,
  input: AdvanceThroughGatesInput,
): Promise<PhaseResult> {
  return runCommand(ports, (state) => decideAdvanceThroughGates(state, input));
}
