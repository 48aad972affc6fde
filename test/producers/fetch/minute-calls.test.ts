import { describe, expect, it } from 'vitest';
import { type ApiName, endpoint } from '../../../contracts/catalog/index.js';
import { loadConfig } from '../../../contracts/config.js';
import { DEFAULT_FLAGS } from '../../../contracts/flags.js';
import { planFetch } from '../../../producers/fetch/planner.js';
import { minutePools, resolvePool } from '../../../producers/fetch/pools.js';
import { createSyntheticMarket, type InstrumentClass } from '../../../producers/sandbox/synthetic/index.js';

/**
 * The calls a multi-day minute backfill plans, on the tiny synthetic market with the pools the
 * product draws from its reference data, next to the fewest one-code-per-call queries can take:
 * Σ ceil(rows of a code / row limit). A call is a page: the sandbox, like Tushare, says has_more.
 * bench/p2-calls.ts measures the same through the CLI with the calls counted by the sandbox.
 */
describe('a 40-day minute backfill', () => {
  const market = createSyntheticMarket({ seed: loadConfig({}).sandbox.seed, size: 'tiny' });
  const days = market
    .tradingDays()
    .filter((d) => d >= '20240102')
    .slice(0, 40);
  const from = days[0] as string;
  const to = days.at(-1) as string;
  const classes: Partial<Record<ApiName, InstrumentClass>> = {
    stk_mins: 'stock',
    idx_mins: 'index',
    ft_mins: 'futures',
  };
  const pools: Partial<Record<ApiName, string[]>> = {};
  for (const definition of minutePools(loadConfig({}).universe)) {
    const assetClass = classes[definition.apiName];
    if (assetClass === undefined) continue;
    const candidates = market.instruments(assetClass).map((i) => ({
      tsCode: i.tsCode,
      market: i.exchange,
      listDate: i.listDate,
      delistDate: i.delistDate,
    }));
    pools[definition.apiName] = resolvePool(definition, candidates, { today: to, cursors: {} }).codes;
  }
  const apis = Object.keys(classes) as ApiName[];
  const { tasks } = planFetch({
    endpoints: apis,
    from,
    to,
    openDates: days,
    flags: {
      ...DEFAULT_FLAGS,
      p2Enabled: true,
      p2RealtimeIndexV1: true,
      p2RealtimeEquityEtfV1: true,
      p2FuturesMicrostructureV1: true,
    },
    cursors: {},
    pools,
  });

  it.each(apis)(
    '%s takes at most a tenth more calls than full pages of each code would',
    (apiName) => {
      const limit = endpoint(apiName).rowLimit;
      let calls = 0;
      let empty = 0;
      const rowsByCode = new Map<string, number>();
      for (const task of tasks.filter((t) => t.apiName === apiName)) {
        const rows = market.query(apiName, task.params as Record<string, string>).length;
        calls += Math.max(1, Math.ceil(rows / limit));
        if (rows === 0) empty += 1;
        const code = String(task.params.ts_code);
        rowsByCode.set(code, (rowsByCode.get(code) ?? 0) + rows);
      }
      const floor = [...rowsByCode.values()].reduce((sum, n) => sum + Math.ceil(n / limit), 0);
      expect(floor).toBeGreaterThan(0);
      expect(calls).toBeGreaterThanOrEqual(floor);
      expect(calls, `${apiName}: ${calls} calls for a floor of ${floor}`).toBeLessThanOrEqual(
        Math.ceil(floor * 1.1),
      );
      expect(empty, `${apiName}: empty calls`).toBeLessThanOrEqual(Math.ceil(rowsByCode.size * 0.1));
    },
    120_000,
  );
});
