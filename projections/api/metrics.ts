import { Phase } from '../../contracts/events/control.js';
import { FLAG_NAMES } from '../../contracts/flags.js';
import {
  metricsRegistry,
  counter as registerCounter,
  gauge as registerGauge,
} from '../../infra/metrics/registry.js';
import type { MetricsSnapshot } from './schemas.js';

/**
 * The families read from the projections: true for the whole deployment, so only the process
 * that answers the control plane's /metrics exposes them (a pipeline process's own /metrics
 * leaves them out rather than show them unset).
 */
export const CONTROL_PLANE_FAMILIES = new Set<string>();
const gauge: typeof registerGauge = (name, ...rest) => {
  CONTROL_PLANE_FAMILIES.add(name);
  return registerGauge(name, ...rest);
};
const counter: typeof registerCounter = (name, ...rest) => {
  CONTROL_PLANE_FAMILIES.add(name);
  return registerCounter(name, ...rest);
};

const phase = gauge('xasset_phase', 'The rollout phase: 1 for the current one, 0 for the others.', ['phase']);
const phaseFrozen = gauge('xasset_phase_frozen', '1 while the current phase is frozen by a gate regression.');
const flagEnabled = gauge(
  'xasset_flag_enabled',
  'Rollout flag values (1 on, 0 off), as stored and as in force (effective).',
  ['flag', 'view'],
);
const gatePassed = gauge('xasset_gate_passed', 'The latest recorded verdict of each gate: 1 passed, 0 not.', [
  'gate',
]);
const gateCleanDays = gauge(
  'xasset_gate_clean_days',
  'Consecutive clean trading days of each gate at its latest verdict.',
  ['gate'],
);
const gateRequiredDays = gauge('xasset_gate_required_days', 'Clean trading days each gate needs.', ['gate']);
const runs = gauge('xasset_runs', 'Runs in the runs projection, by chain and status.', ['chain', 'status']);
const runRowsFetched = counter(
  'xasset_run_rows_fetched_total',
  'Rows fetched from Tushare by the runs in the runs projection (every process), by chain.',
  ['chain'],
);
const runRowsEmitted = counter(
  'xasset_run_rows_emitted_total',
  'Rows appended to raw topics by the runs in the runs projection (every process), by chain.',
  ['chain'],
);
const runsRunning = gauge('xasset_runs_running', 'Runs still in state running.');
const runsStale = gauge(
  'xasset_runs_stale',
  'Running runs whose last heartbeat is older than their timeout.',
);
const alertsRaised = counter(
  'xasset_alerts_raised_total',
  'Alerts raised on the control topic, by severity.',
  ['severity'],
);
const projectionLag = gauge(
  'xasset_projection_lag_events',
  'Control-topic events not yet folded into a projection.',
  ['projection'],
);
const consumerLag = gauge(
  'xasset_consumer_lag_records',
  'Records a processor has not yet stored, by consumer, topic and partition.',
  ['consumer', 'topic', 'partition'],
);

const bit = (on: boolean) => (on ? 1 : 0);

/**
 * Sets the control plane's metrics from a fresh read of the projections, just before a scrape is
 * answered. Every family is reset first, so a label set that disappeared (a consumer removed) does
 * not linger. A lag that cannot be known (no log to ask) is left out rather than reported as zero,
 * so an alert on it cannot be fooled. The totals are sums the projection holds, so they are set,
 * not accumulated.
 */
export function applyMetricsSnapshot(snapshot: MetricsSnapshot): void {
  for (const family of [
    phase,
    flagEnabled,
    gatePassed,
    gateCleanDays,
    gateRequiredDays,
    runs,
    runRowsFetched,
    runRowsEmitted,
    alertsRaised,
    projectionLag,
    consumerLag,
  ])
    family.reset();
  for (const p of Phase.options) phase.set({ phase: p }, bit(p === snapshot.phase.current));
  phaseFrozen.set(bit(snapshot.phase.frozen));
  for (const flag of FLAG_NAMES) {
    flagEnabled.set({ flag, view: 'stored' }, bit(snapshot.flags.stored[flag]));
    flagEnabled.set({ flag, view: 'effective' }, bit(snapshot.flags.effective[flag]));
  }
  for (const g of snapshot.gates) {
    gatePassed.set({ gate: g.gate }, bit(g.passed));
    gateCleanDays.set({ gate: g.gate }, g.cleanDays);
    gateRequiredDays.set({ gate: g.gate }, g.requiredDays);
  }
  for (const r of snapshot.runsByStatus) runs.set({ chain: r.chain, status: r.status }, r.count);
  for (const r of snapshot.rows) {
    runRowsFetched.inc({ chain: r.chain }, r.fetched);
    runRowsEmitted.inc({ chain: r.chain }, r.emitted);
  }
  runsRunning.set(snapshot.runningResidue);
  runsStale.set(snapshot.staleRunning);
  for (const a of snapshot.alertsBySeverity) alertsRaised.inc({ severity: a.severity }, a.count);
  for (const p of snapshot.projectionLag)
    if (p.lag !== null) projectionLag.set({ projection: p.projection }, p.lag);
  for (const c of snapshot.consumerLag ?? [])
    consumerLag.set({ consumer: c.consumer, topic: c.topic, partition: String(c.partition) }, c.lag);
}

let previous: Promise<unknown> = Promise.resolve();

/**
 * `/metrics`: the control plane's numbers set from `snapshot`, then everything the process
 * registered. Scrapes are answered one at a time: the registry writes asynchronously, and a second
 * scrape's reset must not land in the middle of the first one's text.
 */
export function renderMetrics(snapshot: MetricsSnapshot): Promise<string> {
  const text = previous.then(() => {
    applyMetricsSnapshot(snapshot);
    return metricsRegistry.metrics();
  });
  previous = text.catch(() => undefined);
  return text;
}
