import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../contracts/config.js';
import { AlertRaised } from '../../../contracts/events/control.js';
import {
  ALERTS,
  type AlertInput,
  currentConditions,
  evaluateAlerts,
  resolvedAlerts,
} from '../../../projections/alerts/evaluate.js';

const thresholds = loadConfig({}).alerts;
const ok = { status: 'ok' as const };
const failed = { status: 'failed' as const };

const healthy: AlertInput = {
  runs: Array.from({ length: 10 }, () => ok),
  coverage: [{ tradeDate: '20260213', module: 'daily', coverage: 0.99 }],
  residue: 0,
  consumerLag: { 'processor.daily': 10 },
  thresholds,
};

describe('evaluateAlerts', () => {
  it('given everything within thresholds (the config defaults), then nothing is raised', () => {
    expect(thresholds).toEqual({
      maxFailureRate: 0.2,
      minCoverage: 0.95,
      maxRunningResidue: 0,
      maxConsumerLag: 100_000,
    });
    expect(evaluateAlerts(healthy)).toEqual([]);
  });

  it('given more than the allowed share of recent runs failing, then a critical failure-rate alert', () => {
    const runs = [...Array.from({ length: 7 }, () => ok), failed, failed, { status: 'abandoned' as const }];
    const [alert, ...rest] = evaluateAlerts({ ...healthy, runs });
    expect(rest).toEqual([]);
    expect(alert).toEqual({
      alert: 'run_failure_rate_high',
      severity: 'critical',
      message: '3 of 10 recent runs failed (rate 0.3 > 0.2)',
      value: 0.3,
      threshold: 0.2,
    });
    expect(AlertRaised.parse(alert)).toEqual(alert);
  });

  it('given exactly the allowed share, or too few finished runs, then no failure-rate alert', () => {
    const atLimit = [...Array.from({ length: 8 }, () => ok), failed, failed];
    expect(evaluateAlerts({ ...healthy, runs: atLimit })).toEqual([]);
    const few = [failed, failed, ok, { status: 'running' as const }];
    expect(evaluateAlerts({ ...healthy, runs: few })).toEqual([]);
    expect(evaluateAlerts({ ...healthy, runs: few, minRuns: 3 }).map((a) => a.alert)).toEqual([
      ALERTS.failureRate,
    ]);
  });

  it("given a module's latest applicable coverage under the minimum, then an alert named for the module", () => {
    const coverage = [
      { tradeDate: '20260212', module: 'daily', coverage: 0.5 },
      { tradeDate: '20260213', module: 'daily', coverage: 0.99 },
      { tradeDate: '20260212', module: 'fund_daily', coverage: 0.99 },
      { tradeDate: '20260213', module: 'fund_daily', coverage: 0.9 },
      { tradeDate: '20260213', module: 'fut_daily', coverage: 0 },
      { tradeDate: '20260214', module: 'fut_daily', coverage: null },
    ];
    const alerts = evaluateAlerts({ ...healthy, coverage });
    expect(alerts.map((a) => [a.alert, a.severity, a.value])).toEqual([
      ['coverage_below:fund_daily', 'warning', 0.9],
      ['coverage_below:fut_daily', 'critical', 0],
    ]);
    expect(alerts[0]?.message).toBe('fund_daily coverage on 20260213 is 0.9 < 0.95');
  });

  it('given runs left running above the allowed residue, then a residue alert', () => {
    expect(evaluateAlerts({ ...healthy, residue: 2 })).toEqual([
      {
        alert: 'running_residue_high',
        severity: 'warning',
        message: '2 runs left running past their heartbeat timeout (> 0)',
        value: 2,
        threshold: 0,
      },
    ]);
  });

  it('given a consumer lagging beyond the maximum, then an alert per lagging consumer', () => {
    const alerts = evaluateAlerts({
      ...healthy,
      consumerLag: { 'processor.daily': 100_001, 'processor.fx_daily': 100_000 },
    });
    expect(alerts.map((a) => [a.alert, a.value])).toEqual([['consumer_lag_high:processor.daily', 100_001]]);
    expect(evaluateAlerts({ ...healthy, consumerLag: 200_000 }).map((a) => a.alert)).toEqual([
      'consumer_lag_high:all',
    ]);
  });

  it('given the same condition already open, then it is not raised again; a new one still is', () => {
    const input: AlertInput = { ...healthy, residue: 1, consumerLag: 500_000 };
    expect(currentConditions(input).map((a) => a.alert)).toEqual([
      'running_residue_high',
      'consumer_lag_high:all',
    ]);
    expect(evaluateAlerts({ ...input, open: ['running_residue_high'] }).map((a) => a.alert)).toEqual([
      'consumer_lag_high:all',
    ]);
    expect(evaluateAlerts({ ...input, open: ['running_residue_high', 'consumer_lag_high:all'] })).toEqual([]);
  });

  it('given an open alert whose condition cleared, then it is reported resolved', () => {
    const open = ['running_residue_high', 'coverage_below:daily'];
    expect(resolvedAlerts({ ...healthy, residue: 3, open })).toEqual(['coverage_below:daily']);
  });
});
