import { CommandRefusedError, ValidationError } from '../../contracts/errors.js';
import {
  type GrayModule,
  type GraySettings,
  type GrayStage,
  grayLadder,
  isGrayModule,
  stepStage,
} from '../../contracts/gray.js';
import { type CommandPorts, type CommandResult, requireText, runCommand } from '../commands/handle.js';
import { newControlEvent } from '../log/control-log.js';
import type { ControlState } from '../reducers/control.js';
import { type GateRuns, type GrayStep, grayEvents, grayView, stageChange } from './decide.js';

/**
 * The operator's gray-release commands (`xasset gray set|promote|rollback`) and the daily job's
 * step back after a failed module run. Each decides on the state folded at the end of the log and
 * appends in one go (projections/commands/handle.ts), so two of them never build on the same state.
 */

export interface GrayCommandInput {
  module: string;
  actor: string;
  reason: string;
  now: number;
  settings: GraySettings;
}

export type GrayCommandResult = CommandResult & { module: GrayModule; from: GrayStage | null; to: GrayStage };

function moduleOf(name: string): GrayModule {
  if (!isGrayModule(name)) {
    throw new ValidationError('gray module', [
      { path: 'module', message: `not a P2 module: ${name} (one of the p2 sub-switches)` },
    ]);
  }
  return name;
}

/** Sets a module's stage by hand: any stage of the ladder, recorded with the operator's reason. */
export function setGrayStage(
  ports: CommandPorts,
  input: GrayCommandInput & { stage: string },
): Promise<GrayCommandResult> {
  requireText({ actor: input.actor, reason: input.reason });
  const module = moduleOf(input.module);
  const ladder = grayLadder(input.settings);
  const to = ladder.find((stage) => stage === input.stage);
  if (to === undefined) {
    throw new ValidationError('gray stage', [
      { path: 'stage', message: `not on the ladder: ${input.stage} (${ladder.join(' → ')})` },
    ]);
  }
  return runCommand(ports, (state) => {
    const from = state.gray.modules[module]?.stage ?? null;
    if (from === to) return { events: [], module, from, to };
    const payload = stageChange(module, from, to, { action: 'set', ...input, evidence: [] }, input.settings);
    return { events: [newControlEvent('GrayStageChanged', payload, input)], module, from, to };
  });
}

/** One step up, only when the evaluator would take it: the probes passed, or the stage's gate holds. */
export function promoteGray(
  ports: CommandPorts,
  input: GrayCommandInput & { runs: GateRuns; minCoverage: number },
): Promise<GrayCommandResult> {
  requireText({ actor: input.actor, reason: input.reason });
  const module = moduleOf(input.module);
  return runCommand(ports, (state) => {
    const view = grayView(state, input.runs, input.settings, input.minCoverage).find(
      (v) => v.module === module,
    );
    const next = view?.next;
    if (next === undefined || next === null || next.action === 'rollback') {
      const why = next?.action === 'rollback' ? [`${module} has failed at its stage: ${next.reason}`] : [];
      throw new CommandRefusedError('grayPromote', [...why, ...(view?.waiting ?? [])], {
        module,
        stage: view?.stage ?? null,
      });
    }
    const step = { ...next, reason: `${input.reason} (${next.reason})` };
    return { events: grayEvents(state, [step], input.settings, input), module, from: step.from, to: step.to };
  });
}

/** One step down the ladder by hand; the module's switch stays as it is. */
export function rollbackGray(ports: CommandPorts, input: GrayCommandInput): Promise<GrayCommandResult> {
  requireText({ actor: input.actor, reason: input.reason });
  const module = moduleOf(input.module);
  return runCommand(ports, (state) => {
    const from = state.gray.modules[module]?.stage;
    if (from === undefined)
      throw new CommandRefusedError('grayRollback', [`${module} has no gray stage yet`]);
    const to = stepStage(grayLadder(input.settings), from, -1);
    if (to === null)
      throw new CommandRefusedError('grayRollback', [`${module} is at ${from}, the first stage`]);
    const step: GrayStep = { module, from, to, action: 'rollback', reason: input.reason, evidence: [] };
    return { events: grayEvents(state, [step], input.settings, input), module, from, to };
  });
}

/**
 * A module's run failed: one step back and its switch off at once (the main chain is not touched),
 * as the evaluator would decide on the failed run. Nothing when the module has no stage to leave.
 */
export function decideGrayFailure(
  state: ControlState,
  input: GrayCommandInput & { runId: string; error: string | null },
): { events: ReturnType<typeof grayEvents>; step: GrayStep | null } {
  const module = moduleOf(input.module);
  const from = state.gray.modules[module]?.stage;
  if (from === undefined || from === 'probe') return { events: [], step: null };
  const to = stepStage(grayLadder(input.settings), from, -1) ?? 'probe';
  const step: GrayStep = {
    module,
    from,
    to,
    action: 'rollback',
    reason: `${module} failed at ${from} (run ${input.runId}): back to ${to}, switched off`,
    evidence: [`run_failed:${input.runId}${input.error ? `:${input.error}` : ''}`.slice(0, 300)],
    switchOff: module,
  };
  return { events: grayEvents(state, [step], input.settings, input), step };
}

export const grayFailure = (
  ports: CommandPorts,
  input: Parameters<typeof decideGrayFailure>[1],
): Promise<CommandResult & { step: GrayStep | null }> =>
  runCommand(ports, (state) => decideGrayFailure(state, input));
