import { describe, expect, it } from 'vitest';
import { createSyntheticMarket } from '../../../../producers/sandbox/synthetic/index.js';

// Speed is measured by `npm run bench:sandbox`, not asserted here: the machines are shared.
describe('synthetic market queries at the default size', () => {
  it('answers the same whole-market day the same way cold and warm, with thousands of stocks', () => {
    const market = createSyntheticMarket({ seed: 20_240_101, size: 'default' });
    const days = market.tradingDays();
    const day = days[500] as string;
    const cold = market.query('daily', { trade_date: day });
    expect(cold.length).toBeGreaterThan(4000);
    for (let i = 0; i < 5; i++) {
      const rows = market.query('daily', { trade_date: days[(i * 61) % days.length] as string });
      expect(rows.length).toBeGreaterThan(3000);
    }
    expect(market.query('daily', { trade_date: day })).toEqual(cold);
  }, 60_000);
});
