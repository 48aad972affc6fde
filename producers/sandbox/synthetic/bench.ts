/**
 * Timings of the synthetic market at a given size: `npx tsx producers/sandbox/synthetic/bench.ts [size]`.
 * Prints the cold first query (which builds every stock's price chain), then the median of warm
 * one-day queries over many trade dates, and the memory kept (run with `node --expose-gc --import tsx`
 * for exact figures).
 */
import { createSyntheticMarket, type MarketSize } from './index.js';

const size = (process.argv[2] ?? 'default') as MarketSize;
const ms = (since: number) => `${(performance.now() - since).toFixed(1)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const before = process.memoryUsage();
const market = createSyntheticMarket({ seed: 20_240_101, size });
const days = market.tradingDays();

let t = performance.now();
const first = market.query('daily', { trade_date: days[100] as string });
console.log(`${size}: daily cold (builds ${first.length} stock chains) ${ms(t)}`);

function warm(apiName: Parameters<typeof market.query>[0], extra: Record<string, string> = {}, n = 40): void {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const day = days[(i * 23) % days.length] as string;
    const start = performance.now();
    rows = market.query(apiName, { trade_date: day, ...extra }).length;
    times.push(performance.now() - start);
  }
  console.log(
    `${apiName.padEnd(13)} one trade_date: median ${median(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (${rows} rows)`,
  );
}

for (const api of [
  'fund_daily',
  'fut_daily',
  'sge_daily',
  'daily_basic',
  'moneyflow',
  'stk_premarket',
  'fut_holding',
  'fut_wsr',
] as const) {
  t = performance.now();
  market.query(api, { trade_date: days[100] as string });
  console.log(`${api.padEnd(13)} cold ${ms(t)}`);
}
warm('daily');
warm('fund_daily');
warm('fut_daily');
warm('fut_daily', { exchange: 'SHFE' });
warm('daily_basic');
warm('moneyflow');
warm('stk_premarket');
warm('fut_holding', {}, 10);

const code = market.instruments('stock')[0]?.tsCode as string;
t = performance.now();
const history = market.query('daily', { ts_code: code });
console.log(`daily one ts_code, whole range: ${history.length} rows ${ms(t)}`);
t = performance.now();
const minutes = market.query('stk_mins', {
  ts_code: code,
  freq: '1min',
  start_date: days[0] as string,
  end_date: days[21] as string,
});
console.log(`stk_mins 1min, 22 days: ${minutes.length} rows ${ms(t)}`);

globalThis.gc?.();
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
const mem = process.memoryUsage();
// Price chains are typed arrays: their bytes count as array buffers, outside the JS heap.
console.log(
  `after gc: heap +${mb(mem.heapUsed - before.heapUsed)}, array buffers +${mb(mem.arrayBuffers - before.arrayBuffers)}, rss ${mb(mem.rss)}`,
);
