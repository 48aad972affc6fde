import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, effectiveFlags } from '../../../contracts/flags.js';
import { collectProcessMetrics, pipelineMetrics } from '../../../infra/metrics/registry.js';
import { renderMetrics } from '../../../projections/api/metrics.js';
import type { MetricsSnapshot } from '../../../projections/api/schemas.js';
import { numberOf, parseExposition, sampleOf } from '../../harness/exposition.js';

const stored = { ...DEFAULT_FLAGS, p2Enabled: false, universeDailyBasicEnabled: true };

const snapshot = (overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot => ({
  phase: { current: 'C', frozen: true },
  flags: { stored, effective: effectiveFlags(stored) },
  gates: [
    { gate: 'p0', passed: true, cleanDays: 3, requiredDays: 3 },
    { gate: 'p1', passed: false, cleanDays: 1, requiredDays: 3 },
  ],
  runsByStatus: [
    { chain: 'main', status: 'ok', count: 3 },
    { chain: 'main', status: 'failed', count: 1 },
  ],
  rows: [{ chain: 'main', fetched: 30_000, emitted: 29_500 }],
  runningResidue: 2,
  staleRunning: 1,
  alertsBySeverity: [{ severity: 'warning', count: 4 }],
  consumerLag: [{ consumer: 'normalizer', topic: 'tushare.raw.daily', partition: 3, lag: 17 }],
  projectionLag: [
    { projection: 'runs', lag: 5 },
    { projection: 'flags', lag: null },
  ],
  ...overrides,
});

describe('renderMetrics', () => {
  it('exposes the control plane: phase, flags, gates, runs, alerts and lag', async () => {
    const m = parseExposition(await renderMetrics(snapshot()));
    expect(numberOf(m, 'xasset_phase', { phase: 'C' })).toBe(1);
    expect(numberOf(m, 'xasset_phase', { phase: 'B' })).toBe(0);
    expect(numberOf(m, 'xasset_phase_frozen')).toBe(1);
    expect(numberOf(m, 'xasset_flag_enabled', { flag: 'universeDailyBasicEnabled', view: 'stored' })).toBe(1);
    // p2Enabled off switches the p2 sub-switches off in force, not as stored.
    expect(numberOf(m, 'xasset_flag_enabled', { flag: 'p2RealtimeIndexV1', view: 'stored' })).toBe(1);
    expect(numberOf(m, 'xasset_flag_enabled', { flag: 'p2RealtimeIndexV1', view: 'effective' })).toBe(0);
    expect(sampleOf(m, 'xasset_flag_enabled', { flag: 'updatedAt', view: 'stored' })).toBeUndefined();
    expect(numberOf(m, 'xasset_gate_passed', { gate: 'p0' })).toBe(1);
    expect(numberOf(m, 'xasset_gate_passed', { gate: 'p1' })).toBe(0);
    expect(numberOf(m, 'xasset_gate_clean_days', { gate: 'p1' })).toBe(1);
    expect(numberOf(m, 'xasset_gate_required_days', { gate: 'p1' })).toBe(3);
    expect(numberOf(m, 'xasset_runs', { chain: 'main', status: 'ok' })).toBe(3);
    expect(numberOf(m, 'xasset_runs', { chain: 'main', status: 'failed' })).toBe(1);
    expect(numberOf(m, 'xasset_run_rows_fetched_total', { chain: 'main' })).toBe(30_000);
    expect(numberOf(m, 'xasset_run_rows_emitted_total', { chain: 'main' })).toBe(29_500);
    expect(numberOf(m, 'xasset_runs_running')).toBe(2);
    expect(numberOf(m, 'xasset_runs_stale')).toBe(1);
    expect(numberOf(m, 'xasset_alerts_raised_total', { severity: 'warning' })).toBe(4);
    expect(numberOf(m, 'xasset_projection_lag_events', { projection: 'runs' })).toBe(5);
    expect(
      numberOf(m, 'xasset_consumer_lag_records', {
        consumer: 'normalizer',
        topic: 'tushare.raw.daily',
        partition: '3',
      }),
    ).toBe(17);
  });

  it('sets totals the projection holds instead of adding them up scrape after scrape', async () => {
    await renderMetrics(snapshot());
    const m = parseExposition(await renderMetrics(snapshot()));
    expect(numberOf(m, 'xasset_run_rows_fetched_total', { chain: 'main' })).toBe(30_000);
    expect(numberOf(m, 'xasset_alerts_raised_total', { severity: 'warning' })).toBe(4);
  });

  it('leaves an unknown lag out instead of reporting zero, and forgets label sets that are gone', async () => {
    await renderMetrics(snapshot());
    const m = parseExposition(await renderMetrics(snapshot({ consumerLag: null, gates: [] })));
    expect(m.get('xasset_consumer_lag_records')?.metrics).toEqual([]);
    expect(sampleOf(m, 'xasset_projection_lag_events', { projection: 'flags' })).toBeUndefined();
    expect(m.get('xasset_gate_passed')?.metrics).toEqual([]);
  });

  it('answers concurrent scrapes each with a whole snapshot', async () => {
    const [a, b] = await Promise.all([
      renderMetrics(snapshot({ runningResidue: 7 })),
      renderMetrics(snapshot({ runningResidue: 9 })),
    ]);
    expect(numberOf(parseExposition(a), 'xasset_runs_running')).toBe(7);
    expect(numberOf(parseExposition(b), 'xasset_runs_running')).toBe(9);
    expect(
      numberOf(parseExposition(b), 'xasset_consumer_lag_records', {
        consumer: 'normalizer',
        topic: 'tushare.raw.daily',
        partition: '3',
      }),
    ).toBe(17);
  });

  it('escapes label values', async () => {
    const chain = 'we"ird\\chain\nx';
    const m = parseExposition(
      await renderMetrics(snapshot({ runsByStatus: [{ chain, status: 'ok', count: 1 }] })),
    );
    expect(numberOf(m, 'xasset_runs', { chain, status: 'ok' })).toBe(1);
  });

  it('exposes the pipeline hooks and the process metrics from the same registry', async () => {
    collectProcessMetrics();
    pipelineMetrics.tushareCall('daily', 0.2);
    pipelineMetrics.tushareCall('daily', 3, 'XASSET_TUSHARE_TRANSIENT');
    pipelineMetrics.rowsFetched('daily', 5000);
    pipelineMetrics.processorBatch({
      seconds: 0.3,
      records: 10,
      inserted: 6,
      revised: 1,
      duplicates: 2,
      deadLetters: [{ stage: 'normalize', code: 'XASSET_NORMALIZE' }],
    });
    const m = parseExposition(await renderMetrics(snapshot()));
    expect(numberOf(m, 'xasset_tushare_requests_total', { api_name: 'daily', outcome: 'ok' })).toBe(1);
    expect(numberOf(m, 'xasset_tushare_requests_total', { api_name: 'daily', outcome: 'transient' })).toBe(1);
    // The parser folds a labelled histogram into its buckets (one label set here); +Inf is the count.
    const latency = m.get('xasset_tushare_request_duration_seconds')?.metrics[0];
    expect(latency?.buckets?.['0.1']).toBe('0');
    expect(latency?.buckets?.['0.25']).toBe('1');
    expect(latency?.buckets?.['+Inf']).toBe('2');
    expect(numberOf(m, 'xasset_fetch_rows_total', { api_name: 'daily' })).toBe(5000);
    const batch = sampleOf(m, 'xasset_processor_batch_duration_seconds');
    expect(batch?.count).toBe('1');
    expect(Number(batch?.sum)).toBeCloseTo(0.3);
    expect(batch?.buckets?.['0.25']).toBe('0');
    expect(batch?.buckets?.['0.5']).toBe('1');
    expect(numberOf(m, 'xasset_processor_records_total')).toBe(10);
    expect(numberOf(m, 'xasset_processor_rows_total', { outcome: 'inserted' })).toBe(6);
    expect(numberOf(m, 'xasset_processor_rows_total', { outcome: 'revised' })).toBe(1);
    expect(numberOf(m, 'xasset_processor_rows_total', { outcome: 'duplicate' })).toBe(2);
    expect(numberOf(m, 'xasset_dead_letters_total', { stage: 'normalize', code: 'XASSET_NORMALIZE' })).toBe(
      1,
    );
    expect(numberOf(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(numberOf(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.get('nodejs_eventloop_lag_seconds')?.type).toBe('GAUGE');
  });

  it('names every family the Prometheus way: a counter ends in _total, a histogram in a unit', async () => {
    const m = parseExposition(await renderMetrics(snapshot()));
    const ours = [...m.values()].filter((f) => f.name.startsWith('xasset_'));
    expect(ours.length).toBeGreaterThan(20);
    for (const family of ours) {
      expect(family.name).toMatch(/^xasset_[a-z0-9_]+$/);
      expect(family.help.length, family.name).toBeGreaterThan(10);
      expect(family.name.endsWith('_total'), family.name).toBe(family.type === 'COUNTER');
      if (family.type === 'HISTOGRAM') expect(family.name).toMatch(/_(seconds|bytes)$/);
    }
  });
});
