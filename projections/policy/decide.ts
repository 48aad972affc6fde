import { endpoint, rawTopic } from '../../contracts/catalog/index.js';
import type { ControlEvent, ControlPayload } from '../../contracts/events/control.js';
import { FLAG_NAMES, type FlagName } from '../../contracts/flags.js';
import type { GraySettings } from '../../contracts/gray.js';
import { ALERTS, type AlertPayload, type AlertThresholds, currentConditions } from '../alerts/evaluate.js';
import type { GateSnapshot, GateSnapshotEntry } from '../api/schemas.js';
import { decideFlags } from '../commands/flags.js';
import { decideFreezePhase } from '../commands/phases.js';
import { toGateEvaluated } from '../gates/evaluate.js';
import { decideRegression, type ExitGate, type GateOutcome } from '../gates/phases.js';
import type { CoveragePoint, GateName, RunState } from '../gates/types.js';
import { decideGray, type GateRuns, type GrayStep } from '../gray/decide.js';
import { newControlEvent } from '../log/control-log.js';
import type { AlertEntry, AlertsState } from '../reducers/alerts.js';
import type { ControlState } from '../reducers/control.js';
import type { GateEntry } from '../reducers/gates.js';
import type { Phase } from '../reducers/phases.js';
import type { RunEntry } from '../reducers/runs.js';
import { postVerificationFlags } from './switches.js';

/**
 * The evaluator's policy: given the control state folded from the log and what the store shows
 * now, which GateEvaluated, AlertRaised, AlertResolved, PhaseFrozen and FlagsChanged events to append. Pure: the
 * I/O that gathers an Observation and appends the events lives in evaluator.ts.
 */

/** What one round saw in the store: everything but the control state. */
export interface Observation {
  /** Every gate on both clocks, as `GET /gates/snapshot` serves it. */
  snapshot: GateSnapshot;
  /** The status-matrix cells the snapshot read; null when no matrix answered. */
  coverage: readonly CoveragePoint[] | null;
  /**
   * Records the processor has not written yet, per raw topic it reads; a topic whose end offsets the
   * log did not give is absent. Null when no processor is watched.
   */
  processor: { consumer: string; lagByTopic: Readonly<Record<string, number>> } | null;
  /** The runs and open dates the gates read: the gray modules' gates are evaluated on them too. */
  gateRuns?: GateRuns;
}

export interface EvaluationContext {
  alerts: AlertThresholds;
  actor: string;
  now: number;
  /** Fewer finished runs than this raise no failure-rate alert (evaluateAlerts' default otherwise). */
  minRuns?: number;
  /** Gray release of the P2 modules; absent: no module moves (projections/gray). */
  gray?: { settings: GraySettings; minCoverage: number };
}

export interface EvaluationDecision {
  /** In append order: gate verdicts, alerts, then the freeze and its rollback. */
  events: ControlEvent[];
  recorded: ControlPayload<'GateEvaluated'>[];
  raised: AlertPayload[];
  /** Alert names whose condition stopped holding, closed by this round. */
  resolved: string[];
  freeze: { phase: Phase; gates: ExitGate[]; reason: string } | null;
  /** The switches the post-verification state turned on (roadmap: 默认全开态); empty when none. */
  postVerification: FlagName[];
  /** The gray-release steps taken: modules started, promoted or stepped back. */
  gray: GrayStep[];
}

/** The latest alert entry per name, for the names whose latest is not a close. */
export function openAlerts(alerts: AlertsState): Map<string, AlertEntry> {
  const latest = new Map<string, AlertEntry>();
  for (const entry of alerts.alerts) latest.set(entry.alert, entry);
  return new Map([...latest].filter(([, entry]) => entry.kind !== 'resolved'));
}

export function decideEvaluation(
  state: ControlState,
  observation: Observation,
  context: EvaluationContext,
): EvaluationDecision {
  const stamp = { actor: context.actor, now: context.now };
  const judged = judgedCoverage(state, observation);

  const recorded = observation.snapshot.gates
    .map(gateEvaluated)
    .filter((verdict) => !sameVerdict(state.gates.latest[verdict.gate], verdict));

  const { raised, resolved } = decideAlerts(state.alerts, observation, judged, context);
  const open = openAlerts(state.alerts);
  const closes = resolved.map((name) => {
    const entry = open.get(name) as AlertEntry;
    return {
      alert: name,
      message: `${name} no longer holds (raised at offset ${entry.offset})`,
      raisedAtOffset: entry.offset,
    } satisfies ControlPayload<'AlertResolved'>;
  });

  const events: ControlEvent[] = [
    ...recorded.map((payload) => newControlEvent('GateEvaluated', payload, stamp)),
    ...raised.map((payload) => newControlEvent('AlertRaised', payload, stamp)),
    ...closes.map((payload) => newControlEvent('AlertResolved', payload, stamp)),
  ];

  const freeze = decideGateRegression(state, observation.snapshot, judged);
  if (freeze !== null) {
    const first = freeze.verdicts[0] as RegressedVerdict;
    events.push(
      ...decideFreezePhase(state, {
        actor: context.actor,
        now: context.now,
        gateVerdict: { gate: first.gate, passed: false, failures: first.failures },
        reason: freeze.reason,
      }).events,
    );
  }
  const postVerification =
    freeze === null ? decidePostVerification(state, observation.snapshot, stamp) : null;
  if (postVerification !== null) events.push(...postVerification.events);
  // A freeze shuts P2 (or keeps it shut); modules move only while the phase record is steady.
  const gray =
    freeze === null && postVerification === null && context.gray && observation.gateRuns
      ? decideGray(state, observation.gateRuns, context.gray.settings, context.gray.minCoverage, stamp)
      : null;
  if (gray !== null) events.push(...gray.events);
  return {
    events,
    recorded,
    raised,
    resolved,
    freeze: freeze && { phase: freeze.phase, gates: freeze.gates, reason: freeze.reason },
    postVerification: postVerification?.switched ?? [],
    gray: gray?.steps ?? [],
  };
}

/**
 * Once phase E's gate holds — E not frozen and the P0, P1 and P2 gates all passing — the rollout
 * leaves the gray control state for the roadmap's default all-on state: every batch switch and
 * every accepted p2 sub-switch on (a freeze in E may have switched a batch off). Premarket stays
 * behind its probe and the recovery modules follow their waves (projections/policy/switches.ts).
 */
export function decidePostVerification(
  state: ControlState,
  snapshot: GateSnapshot,
  stamp: { actor: string; now: number },
): { events: ControlEvent[]; switched: FlagName[] } | null {
  if (state.phases.phase !== 'E' || state.phases.frozen) return null;
  const holds = (gate: string) => snapshot.gates.some((g) => g.gate === gate && g.passed);
  if (!BATCH_GATE_NAMES.every(holds)) return null;
  const wanted = postVerificationFlags(state.flags.current);
  if (wanted === null) return null;
  const switched = FLAG_NAMES.filter((name) => wanted[name] !== state.flags.current[name]);
  const reason = `post-verification: gates ${BATCH_GATE_NAMES.join(', ')} hold in phase E; default all-on state (premarket stays behind its probe)`;
  return {
    events: decideFlags(state, wanted, { ...stamp, reason }, null, 'postVerification').events,
    switched,
  };
}

/** A snapshot entry is a GateVerdict gone through the API schema, which widens the gate's name. */
const gateEvaluated = (entry: GateSnapshotEntry): ControlPayload<'GateEvaluated'> =>
  toGateEvaluated({ ...entry, gate: entry.gate as GateName });

/**
 * The verdict is what a gate says (passed, clean days out of required, why not); the as-of date it
 * was counted from moves with every replay without changing the verdict, so it is not compared.
 */
export function sameVerdict(latest: GateEntry | undefined, next: ControlPayload<'GateEvaluated'>): boolean {
  if (latest === undefined) return false;
  const a = [...latest.failures].sort();
  const b = [...next.failures].sort();
  return (
    latest.passed === next.passed &&
    latest.cleanDays === next.cleanDays &&
    latest.requiredDays === next.requiredDays &&
    a.length === b.length &&
    a.every((code, i) => code === b[i])
  );
}

// ------------------------------------------------------------------------------------- coverage

/**
 * Which module × trade date coverage says something about the store, rather than about work not
 * done yet. A day is judged once a finished run working on the module covered it (before that,
 * "missing" only means the run has not come), and only while the processor has written everything
 * appended to the module's raw topic (a run's RunFinished lands before the processor has stored
 * its rows).
 */
export interface JudgedCoverage {
  /** Latest judged trade date per module; a module absent is not judged at all. */
  through: ReadonlyMap<string, string>;
  isJudged(module: string, tradeDate: string): boolean;
}

export function judgedCoverage(state: ControlState, observation: Observation): JudgedCoverage {
  const lag = observation.processor?.lagByTopic;
  const modules = new Set((observation.coverage ?? []).map((p) => p.module));
  const through = new Map<string, string>();
  for (const module of modules) {
    if (lag === undefined || lag[rawTopic(module)] !== 0) continue;
    const settled = settledThrough(Object.values(state.runs.runs), module);
    if (settled !== null) through.set(module, settled);
  }
  return {
    through,
    isJudged: (module, tradeDate) => {
      const last = through.get(module);
      return last !== undefined && tradeDate <= last;
    },
  };
}

/** The last trade date a finished run working on the module covered; null when none did. */
export function settledThrough(
  runs: Iterable<Pick<RunEntry, 'chain' | 'batch' | 'status' | 'fromDate' | 'toDate' | 'moduleResults'>>,
  module: string,
): string | null {
  const batch = endpoint(module).batch;
  let latest: string | null = null;
  for (const run of runs) {
    if (run.status === 'running') continue;
    const works =
      run.chain === module ||
      run.moduleResults.some((r) => r.module === module) ||
      // A main run without a batch fetched every enabled batch; a recovery module is never a batch.
      (run.chain === 'main' && (run.batch === null || run.batch === batch));
    const last = run.toDate ?? run.fromDate;
    if (works && last !== null && (latest === null || last > latest)) latest = last;
  }
  return latest;
}

// --------------------------------------------------------------------------------------- alerts

/** The alerts this policy raises and closes; others (cursor_regression, …) are left alone. */
function ownAlert(name: string, observation: Observation, judged: JudgedCoverage): boolean {
  if (name === ALERTS.failureRate || name === ALERTS.residue) return true;
  const coveragePrefix = ALERTS.coverage('');
  if (name.startsWith(coveragePrefix)) return judged.through.has(name.slice(coveragePrefix.length));
  const lagPrefix = ALERTS.consumerLag('');
  if (name.startsWith(lagPrefix)) {
    const processor = observation.processor;
    return (
      processor !== null &&
      processor.consumer === name.slice(lagPrefix.length) &&
      Object.keys(processor.lagByTopic).length > 0
    );
  }
  return false;
}

function decideAlerts(
  alerts: AlertsState,
  observation: Observation,
  judged: JudgedCoverage,
  context: EvaluationContext,
): { raised: AlertPayload[]; resolved: string[] } {
  const { snapshot, processor } = observation;
  const runs = Object.entries(snapshot.runs.byStatus).flatMap(([status, count]) =>
    Array.from({ length: count }, () => ({ status: status as RunState })),
  );
  const lags = processor ? Object.values(processor.lagByTopic) : [];
  const holding = currentConditions({
    runs,
    coverage: (observation.coverage ?? []).filter((p) => judged.isJudged(p.module, p.tradeDate)),
    residue: snapshot.runningResidue,
    consumerLag:
      processor && lags.length > 0 ? { [processor.consumer]: lags.reduce((sum, n) => sum + n, 0) } : {},
    thresholds: context.alerts,
    ...(context.minRuns !== undefined ? { minRuns: context.minRuns } : {}),
  });
  const open = openAlerts(alerts);
  const holdingNames = new Set(holding.map((a) => a.alert));
  return {
    raised: holding.filter((a) => !open.has(a.alert)),
    resolved: [...open.keys()].filter(
      (name) => !holdingNames.has(name) && ownAlert(name, observation, judged),
    ),
  };
}

// ------------------------------------------------------------------------------------ regression

/**
 * Failure codes that show a gate broken by what happened, not by what has not happened yet: a
 * second run of the day still in progress (`run_unfinished`), days without runs, or a calendar too
 * short leave a gate failing without anything having regressed, and must not roll a phase back.
 */
const EVIDENCE = [
  'blocking_run_failed:',
  'blocking_run_abandoned:',
  'blocking_module_failed:',
  'running_residue:',
] as const;
/** `<code>:<date>:<module>:…`: evidence only on a judged day (see judgedCoverage). */
const COVERAGE_EVIDENCE = ['coverage_below:', 'main_coverage_below_baseline:'] as const;

export function isRegressionEvidence(code: string, judged: JudgedCoverage): boolean {
  if (EVIDENCE.some((prefix) => code.startsWith(prefix))) return true;
  if (!COVERAGE_EVIDENCE.some((prefix) => code.startsWith(prefix))) return false;
  const [, tradeDate, module] = code.split(':');
  return tradeDate !== undefined && module !== undefined && judged.isJudged(module, tradeDate);
}

const BATCH_GATE_NAMES: readonly ExitGate[] = ['p0', 'p1', 'p2'];

/** What a freeze names of each regressed gate: the gate and its failures. */
type RegressedVerdict = { gate: string; failures: readonly string[] };
const BATCH_GATES: ReadonlySet<string> = new Set<ExitGate>(BATCH_GATE_NAMES);

/**
 * A gate the current phase passed through that now fails with evidence: decideRegression picks
 * the phases to freeze. A failing batch gate without evidence is left unjudged. The foundation's
 * failures are evidence by themselves (a migration the store lost, a topic gone, a baseline
 * missing): nothing that has not happened yet makes them fail.
 */
function decideGateRegression(
  state: ControlState,
  snapshot: GateSnapshot,
  judged: JudgedCoverage,
): { phase: Phase; gates: ExitGate[]; reason: string; verdicts: RegressedVerdict[] } | null {
  const outcomes: Partial<Record<ExitGate, GateOutcome>> = {};
  const byGate = new Map<string, GateSnapshotEntry>();
  for (const verdict of snapshot.gates) {
    if (!BATCH_GATES.has(verdict.gate)) continue;
    byGate.set(verdict.gate, verdict);
    if (verdict.passed) outcomes[verdict.gate as ExitGate] = { gate: verdict.gate, passed: true };
    else if (verdict.failures.some((code) => isRegressionEvidence(code, judged)))
      outcomes[verdict.gate as ExitGate] = { gate: verdict.gate, passed: false, failures: verdict.failures };
  }
  const foundation = snapshot.foundation;
  if (foundation) outcomes.foundation = foundation;
  const regression = decideRegression(state.phases.phase, outcomes);
  if (regression === null) return null;
  const verdicts = regression.failedGates.map((gate): RegressedVerdict => {
    if (gate === 'foundation' && foundation) return foundation;
    const verdict = byGate.get(gate) as GateSnapshotEntry;
    return { ...verdict, failures: verdict.failures.filter((c) => isRegressionEvidence(c, judged)) };
  });
  const reason = verdicts.map((v) => `gate ${v.gate} regressed: ${v.failures.join(', ')}`).join('; ');
  return { phase: regression.phase, gates: regression.failedGates, reason, verdicts };
}
