/**
 * How fast the synthetic market answers a whole-market `daily` query at the default size, cold
 * (first query builds the universe) and warm. A script that prints numbers; nothing here asserts.
 */
import { loadavg } from 'node:os';
import { createSyntheticMarket } from '../producers/sandbox/synthetic/index.js';

const market = createSyntheticMarket({ seed: 20_240_101, size: 'default' });
const days = market.tradingDays();
const at = (i: number) => days[i % days.length] as string;

const cold = performance.now();
const first = market.query('daily', { trade_date: at(500) });
const coldMs = performance.now() - cold;

const warm: number[] = [];
for (let i = 0; i < 31; i++) {
  const start = performance.now();
  market.query('daily', { trade_date: at(i * 61) });
  warm.push(performance.now() - start);
}
warm.sort((a, b) => a - b);
const pick = (q: number) => (warm[Math.floor((warm.length - 1) * q)] as number).toFixed(1);

console.log(`machine load (1 min)   ${loadavg()[0]?.toFixed(2)}`);
console.log(`rows in the cold day   ${first.length}`);
console.log(`cold query             ${coldMs.toFixed(1)} ms`);
console.log(`warm query p50 / p90   ${pick(0.5)} ms / ${pick(0.9)} ms (${warm.length} days)`);
