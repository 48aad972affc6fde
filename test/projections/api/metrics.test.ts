import { describe, expect, it } from 'vitest';
import { renderMetrics } from '../../../projections/api/metrics.js';
import type { MetricsSnapshot } from '../../../projections/api/schemas.js';

const snapshot = (overrides: Partial<MetricsSnapshot> = {}): MetricsSnapshot => ({
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

/** Parses exposition text into `name{labels} → value`, checking every line has a known shape. */
function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const declared = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-z_]+) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['gauge', 'counter']).toContain(meta[3]);
        declared.add(meta[2] as string);
      }
      continue;
    }
    const sample = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    expect(sample, `line ${line}`).not.toBeNull();
    expect(declared.has(sample?.[1] as string), `${sample?.[1]} declared before use`).toBe(true);
    samples.set(`${sample?.[1]}${sample?.[2] ?? ''}`, Number(sample?.[3]));
  }
  return samples;
}

describe('renderMetrics', () => {
  it('writes every family in the text format with its labels and values', () => {
    const text = renderMetrics(snapshot());
    expect(text.endsWith('\n')).toBe(true);
    const samples = parse(text);
    expect(samples.get('xasset_runs{chain="main",status="ok"}')).toBe(3);
    expect(samples.get('xasset_runs{chain="main",status="failed"}')).toBe(1);
    expect(samples.get('xasset_rows_fetched_total{chain="main"}')).toBe(30_000);
    expect(samples.get('xasset_rows_emitted_total{chain="main"}')).toBe(29_500);
    expect(samples.get('xasset_running_residue')).toBe(2);
    expect(samples.get('xasset_running_stale')).toBe(1);
    expect(samples.get('xasset_alerts_raised_total{severity="warning"}')).toBe(4);
    expect(samples.get('xasset_projection_lag{projection="runs"}')).toBe(5);
    expect(
      samples.get('xasset_consumer_lag{consumer="normalizer",topic="tushare.raw.daily",partition="3"}'),
    ).toBe(17);
  });

  it('leaves an unknown lag out instead of reporting zero', () => {
    const samples = parse(renderMetrics(snapshot({ consumerLag: null })));
    expect([...samples.keys()].some((k) => k.startsWith('xasset_consumer_lag'))).toBe(false);
    expect([...samples.keys()].some((k) => k.includes('projection="flags"'))).toBe(false);
  });

  it('escapes label values', () => {
    const text = renderMetrics(
      snapshot({ runsByStatus: [{ chain: 'we"ird\\chain\nx', status: 'ok', count: 1 }] }),
    );
    expect(text).toContain('xasset_runs{chain="we\\"ird\\\\chain\\nx",status="ok"} 1');
  });
});
