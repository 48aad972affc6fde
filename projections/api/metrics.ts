import { Counter, Gauge } from 'prom-client';
import { Phase } from '../../contracts/events/control.js';
import { FLAG_NAMES } from '../../contracts/flags.js';
import { metricsRegistry } from '../../infra/metrics/registry.js';
import type { MetricsSnapshot } from './schemas.js';

const registers = [metricsRegistry];

const phase = new Gauge({
  name: 'xasset_phase',
  help: 'The rollout phase: 1 for the current one, 0 for the others.',
  labelNames: ['phase'] as const,
  registers,
});
const phaseFrozen = new Gauge({
  name: 'xasset_phase_frozen',
  help: '1 while the current phase is frozen by a gate regression.',
  registers,
});
const flagEnabled = new Gauge({
  name: 'xasset_flag_enabled',
  help: 'Rollout flag values (1 on, 0 off), as stored and as in force (effective).',
  labelNames: ['flag', 'view'] as const,
  registers,
});
const gatePassed = new Gauge({
  name: 'xasset_gate_passed',
  help: 'The latest recorded verdict of each gate: 1 passed, 0 not.',
  labelNames: ['gate'] as const,
  registers,
});
const gateCleanDays = new Gauge({
  name: 'xasset_gate_clean_days',
  help: 'Consecutive clean trading days of each gate at its latest verdict.',
  labelNames: ['gate'] as const,
  registers,
});
const gateRequiredDays = new Gauge({
  name: 'xasset_gate_required_days',
  help: 'Clean trading days each gate needs.',
  labelNames: ['gate'] as const,
  registers,
});
const runs = new Gauge({
  name: 'xasset_runs',
  help: 'Runs in the runs projection, by chain and status.',
  labelNames: ['chain', 'status'] as const,
  registers,
});
const runRowsFetched = new Counter({
  name: 'xasset_run_rows_fetched_total',
  help: 'Rows fetched from Tushare by the runs in the runs projection (every process), by chain.',
  labelNames: ['chain'] as const,
  registers,
});
const runRowsEmitted = new Counter({
  name: 'xasset_run_rows_emitted_total',
  help: 'Rows appended to raw topics by the runs in the runs projection (every process), by chain.',
  labelNames: ['chain'] as const,
  registers,
});
const runsRunning = new Gauge({
  name: 'xasset_runs_running',
  help: 'Runs still in state running.',
  registers,
});
const runsStale = new Gauge({
  name: 'xasset_runs_stale',
  help: 'Running runs whose last heartbeat is older than their timeout.',
  registers,
});
const alertsRaised = new Counter({
  name: 'xasset_alerts_raised_total',
  help: 'Alerts raised on the control topic, by severity.',
  labelNames: ['severity'] as const,
  registers,
});
const projectionLag = new Gauge({
  name: 'xasset_projection_lag_events',
  help: 'Control-topic events not yet folded into a projection.',
  labelNames: ['projection'] as const,
  registers,
});
const consumerLag = new Gauge({
  name: 'xasset_consumer_lag_records',
  help: 'Records a processor has not yet stored, by consumer, topic and partition.',
  labelNames: ['consumer', 'topic', 'partition'] as const,
  registers,
});

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
