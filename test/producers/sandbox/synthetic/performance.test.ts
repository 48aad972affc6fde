import { describe, expect, it } from 'vitest';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';

describe('synthetic market speed at the default size', () => {
  it('answers a daily query for one trade_date well under 100 ms once warm', () => {
    const market = createSyntheticMarket({ seed: 20_240_101, size: 'default' });
    const days = market.tradingDays();
    const cold = performance.now();
    const first = market.query('daily', { trade_date: days[500] as string });
    const coldMs = performance.now() - cold;
    expect(first.length).toBeGreaterThan(4000);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const start = performance.now();
      const rows = market.query('daily', { trade_date: days[(i * 61) % days.length] as string });
      times.push(performance.now() - start);
      expect(rows.length).toBeGreaterThan(3000);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] as number;
    console.info(`default daily: cold ${coldMs.toFixed(0)} ms, warm median ${median.toFixed(1)} ms`);
    // The machine is shared: the bound leaves room for load; typical is ~15 ms.
    expect(median).toBeLessThan(100);
  }, 60_000);
});
