import { takeGateSnapshot } from '../projections/api/adapters.js';
import { type FoundationSource, storeFoundation } from '../projections/api/foundation.js';
import { appendBaselines } from '../projections/commands/baselines.js';
import { advancePhaseThroughGates } from '../projections/commands/phase-gates.js';
import { EXIT_GATE, type GateOutcome } from '../projections/gates/phases.js';
import { grayNotFull } from '../projections/gray/decide.js';
import { foldControlLog } from '../projections/log/control-view.js';
import type { ControlState } from '../projections/reducers/control.js';
import { rollbackBaselineOffset } from '../projections/reducers/flags.js';
import { matrixPools } from './daily-job.js';
import type { Runtime } from './runtime.js';

/**
 * The current phase's exit verdict — the foundation's (store, log and baselines) for A, the batch
 * gate's otherwise, both from the one gate snapshot — beside the verdicts of the gates passed
 * earlier, which must keep holding. E has no exit: the phase decision says so (final_phase)
 * whatever is passed.
 */
export async function exitVerdict(
  runtime: Runtime,
  state: ControlState,
): Promise<{ exit: GateOutcome; held: GateOutcome[] }> {
  const exitGate = EXIT_GATE[state.phases.phase];
  const fromStore = storeFoundation(runtime.pool, runtime.log);
  // The baselines as the folded state has them: ahead of the flags table right after they were
  // appended (bootstrapToB), the same otherwise.
  const foundation: FoundationSource = async () => ({
    ...(await fromStore()),
    flagsOffset: state.flags.offset,
    rollbackOffset: rollbackBaselineOffset(state.flags),
  });
  const snapshot = await takeGateSnapshot(
    runtime.pool,
    runtime.config.gates,
    null,
    undefined,
    matrixPools(runtime),
    foundation,
  );
  const held = snapshot.gates.map((g) => ({ gate: g.gate, passed: g.passed, failures: g.failures }));
  if (exitGate === 'foundation' && snapshot.foundation) return { exit: snapshot.foundation, held };
  const exit: GateOutcome = held.find((g) => g.gate === exitGate) ?? {
    gate: exitGate ?? 'none',
    passed: false,
  };
  if (exitGate !== 'p2') return { exit, held };
  // D's exit also needs every P2 module in force released to its whole pool (DESIGN §10).
  const notFull = grayNotFull(state);
  const failures = [...(exit.failures ?? []), ...notFull];
  return { exit: { ...exit, passed: exit.passed && notFull.length === 0, failures }, held };
}

/**
 * A fresh store to phase B the way an operator gets there: phase A's baselines appended, then one
 * advance through the foundation gate. A store already past A is left as it is. For the demo,
 * which shows P0 running on a store nobody set up by hand.
 */
export async function bootstrapToB(runtime: Runtime, actor: string): Promise<void> {
  const ports = { log: runtime.log, codec: runtime.codec };
  await appendBaselines(ports, { actor, now: Date.now() });
  const state = await foldControlLog(ports);
  if (state.phases.phase !== 'A') return;
  const { exit, held } = await exitVerdict(runtime, state);
  await advancePhaseThroughGates(ports, { actor, now: Date.now(), exit, held });
}
