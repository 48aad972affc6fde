import type { ControlEvent } from '../../contracts/events/control.js';
import type { FlagName } from '../../contracts/flags.js';
import {
  GRAY_MODULES,
  type GrayModule,
  type GraySettings,
  type GrayStage,
  grayEndpoints,
  grayLadder,
  stageShare,
  stepStage,
} from '../../contracts/gray.js';
import { decideFlags } from '../commands/flags.js';
import { evaluateGate } from '../gates/evaluate.js';
import type { GateVerdict, RunView } from '../gates/types.js';
import { newControlEvent } from '../log/control-log.js';
import { switchStates } from '../policy/switches.js';
import type { ControlState } from '../reducers/control.js';
import type { GrayEntry } from '../reducers/gray.js';

/**
 * The gray-release policy (DESIGN §10), pure: where each P2 module stands, what its own gate says,
 * and the one step the evaluator takes. A module whose switch is in force starts at `probe`; it
 * leaves `probe` once every endpoint of it passed a permission probe; from `canary` on it climbs
 * one stage each time its gate holds (N clean trading days on its own pool since the stage began);
 * a failed run of its own steps it back and switches it off. The main chain is never touched.
 */

/** What the gates are evaluated on: the runs and open dates of the snapshot window. */
export interface GateRuns {
  now: number;
  runs: readonly RunView[];
  openDates: readonly string[];
}

export interface GrayModuleView {
  module: GrayModule;
  /** The switch in force (flags AND phase); a module not in force neither fetches nor moves. */
  effective: boolean;
  stage: GrayStage | null;
  since: { offset: number; at: number } | null;
  share: number;
  allowList: readonly string[];
  /** The module's gate on its current stage; null while probing or not started. */
  gate: GateVerdict | null;
  /** Endpoints without a passed permission probe (what keeps a module at `probe`). */
  probesMissing: string[];
  /** What the next evaluator round would do, and why. */
  next: GrayStep | null;
  /** Why it would not move, as condition codes. */
  waiting: string[];
}

export interface GrayStep {
  module: GrayModule;
  from: GrayStage | null;
  to: GrayStage;
  action: 'start' | 'promote' | 'rollback';
  reason: string;
  evidence: string[];
  /** Set for a rollback: the module's switch goes off with it. */
  switchOff?: FlagName;
}

const gateName = (module: GrayModule) => `gray:${module}` as const;

/** A failure of the module's own runs, as its gate codes it (not a main-chain failure). */
const ownFailure = (module: GrayModule, code: string) =>
  code.startsWith('blocking_module_failed:') && code.endsWith(`:${module}`);

/** The module's gate on its stage: counted from the stage's GrayStageChanged on. */
export function grayGate(
  module: GrayModule,
  entry: GrayEntry,
  input: GateRuns,
  settings: Pick<GraySettings, 'requiredDays'>,
  minCoverage: number,
): GateVerdict {
  return evaluateGate({
    gate: gateName(module),
    runs: input.runs,
    coverage: [],
    openDates: input.openDates,
    thresholds: { requiredDays: settings.requiredDays, minCoverage },
    baseline: { offset: entry.offset },
    now: input.now,
  });
}

/** Every module: its stage, its gate, and the step the evaluator would take now. */
export function grayView(
  state: ControlState,
  input: GateRuns,
  settings: GraySettings,
  minCoverage: number,
): GrayModuleView[] {
  const ladder = grayLadder(settings);
  const switches = switchStates(state.flags.current, state.phases);
  return GRAY_MODULES.map((module) => {
    const entry = state.gray.modules[module];
    const effective = switches[module].effective;
    const probesMissing = grayEndpoints(module)
      .map((spec) => spec.apiName)
      .filter((api) => state.probes.probes[api]?.passed !== true);
    const gate =
      entry !== undefined && entry.stage !== 'probe'
        ? grayGate(module, entry, input, settings, minCoverage)
        : null;
    const base = {
      module,
      effective,
      stage: entry?.stage ?? null,
      since: entry === undefined ? null : { offset: entry.offset, at: entry.at },
      share: entry?.share ?? 0,
      allowList: entry?.allowList ?? [],
      gate,
      probesMissing,
    };
    if (!effective) return { ...base, next: null, waiting: ['switch_not_in_force'] };
    if (entry === undefined) {
      const next: GrayStep = {
        module,
        from: null,
        to: 'probe',
        action: 'start',
        reason: `${module} is in force: its gray release starts at probe`,
        evidence: [],
      };
      return { ...base, next, waiting: [] };
    }
    if (entry.stage === 'probe') {
      if (probesMissing.length > 0) {
        return { ...base, next: null, waiting: probesMissing.map((api) => `probe_missing:${api}`) };
      }
      const next: GrayStep = {
        module,
        from: 'probe',
        to: 'canary',
        action: 'promote',
        reason: `every endpoint of ${module} passed its permission probe`,
        evidence: [],
      };
      return { ...base, next, waiting: [] };
    }
    const failures = gate?.failures ?? [];
    const own = failures.filter((code) => ownFailure(module, code));
    if (own.length > 0) {
      const back = stepStage(ladder, entry.stage, -1) ?? 'probe';
      const next: GrayStep = {
        module,
        from: entry.stage,
        to: back,
        action: 'rollback',
        reason: `${module} failed at ${entry.stage}: back to ${back}, switched off`,
        evidence: own,
        switchOff: module,
      };
      return { ...base, next, waiting: [] };
    }
    const up = stepStage(ladder, entry.stage, 1);
    if (up === null) return { ...base, next: null, waiting: ['stage_full'] };
    if (gate?.passed !== true) return { ...base, next: null, waiting: failures };
    const next: GrayStep = {
      module,
      from: entry.stage,
      to: up,
      action: 'promote',
      reason: `gate ${gateName(module)} held ${gate.cleanDays}/${gate.requiredDays} clean days at ${entry.stage}`,
      evidence: [],
    };
    return { ...base, next, waiting: [] };
  });
}

/** The events of the steps: one GrayStageChanged each, then one FlagsChanged for the switch-offs. */
export function grayEvents(
  state: ControlState,
  steps: readonly GrayStep[],
  settings: GraySettings,
  stamp: { actor: string; now: number },
): ControlEvent[] {
  const events: ControlEvent[] = steps.map((step) =>
    newControlEvent('GrayStageChanged', stageChange(step.module, step.from, step.to, step, settings), stamp),
  );
  const off = steps.flatMap((step) => (step.switchOff ? [step.switchOff] : []));
  if (off.length > 0) {
    const wanted = { ...state.flags.current, ...Object.fromEntries(off.map((name) => [name, false])) };
    const reason = steps
      .filter((s) => s.switchOff)
      .map((s) => s.reason)
      .join('; ');
    events.push(...decideFlags(state, wanted, { ...stamp, reason }, null, 'grayRollback').events);
  }
  return events;
}

/** The payload of one step; an allow-list canary records its list and no share. */
export function stageChange(
  module: GrayModule,
  from: GrayStage | null,
  to: GrayStage,
  step: { action: GrayStep['action'] | 'set'; reason: string; evidence: readonly string[] },
  settings: GraySettings,
) {
  const allowList = to === 'canary' && settings.canaryCodes !== undefined ? [...settings.canaryCodes] : [];
  return {
    module,
    from,
    to,
    action: step.action,
    share: allowList.length > 0 ? 0 : stageShare(to, settings),
    allowList,
    reason: step.reason.slice(0, 500),
    evidence: [...step.evidence],
  };
}

/** The evaluator's round: every module's step, as events. */
export function decideGray(
  state: ControlState,
  input: GateRuns,
  settings: GraySettings,
  minCoverage: number,
  stamp: { actor: string; now: number },
): { events: ControlEvent[]; steps: GrayStep[] } {
  const steps = grayView(state, input, settings, minCoverage).flatMap((v) => (v.next ? [v.next] : []));
  return { events: grayEvents(state, steps, settings, stamp), steps };
}

/**
 * Phase D's exit needs every P2 module in force at `full` (DESIGN §10): the conditions it lacks,
 * as codes (`gray_not_full:<module>:<stage>`).
 */
export function grayNotFull(state: ControlState): string[] {
  const switches = switchStates(state.flags.current, state.phases);
  return GRAY_MODULES.filter((m) => switches[m].effective)
    .filter((m) => state.gray.modules[m]?.stage !== 'full')
    .map((m) => `gray_not_full:${m}:${state.gray.modules[m]?.stage ?? 'not_started'}`);
}
