import type { Session } from '../../../contracts/sessions.js';
import { mix, Rng } from './prng.js';

/**
 * Minute bars inside a day bar. The minute path is a Brownian bridge from the day's open to its
 * close, squeezed into [low, high] and pinned to touch both, so the minutes always aggregate back
 * to the day: first open = open, last close = close, max high = high, min low = low, and the
 * volumes sum to the day's volume exactly. Prices are integer ticks, as in the daily chains.
 */

export interface MinuteBars {
  readonly length: number;
  /** Minute of the day each bar ends at. */
  readonly end: Int16Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly vol: Float64Array;
}

export interface DayShape {
  open: number;
  high: number;
  low: number;
  close: number;
  /** Whole units (shares, lots) to spread over the minutes. */
  vol: number;
}

function emptyBars(n: number): MinuteBars {
  return {
    length: n,
    end: new Int16Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    vol: new Float64Array(n),
  };
}

export function minuteBars(day: DayShape, sessions: readonly Session[], seed: number): MinuteBars {
  const n = sessions.reduce((s, x) => s + x.minutes, 0);
  const bars = emptyBars(n);
  const rng = new Rng(mix(seed, 0x31_4159));
  let k = 0;
  for (const s of sessions) for (let i = 1; i <= s.minutes; i++) bars.end[k++] = s.open + i;

  // Bridge from 0 to 0, then laid over the straight line from open to close.
  const walk = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) walk[i] = (walk[i - 1] as number) + rng.normal();
  const endWalk = walk[n] as number;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i <= n; i++) {
    const b = (walk[i] as number) - (endWalk * i) / n;
    walk[i] = b;
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  const range = day.high - day.low;
  const scale = hi - lo > 0 ? (0.8 * range) / (hi - lo) : 0;
  const pts = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) {
    let p = Math.round(day.open + ((day.close - day.open) * i) / n + scale * (walk[i] as number));
    if (p > day.high) p = day.high;
    if (p < day.low) p = day.low;
    pts[i] = p;
  }
  pts[0] = day.open;
  pts[n] = day.close;
  // Pin the day's extremes to a minute inside the day when open and close do not reach them.
  let iHigh = -1;
  if (day.high > Math.max(day.open, day.close)) {
    iHigh = 1;
    for (let i = 1; i < n; i++) if ((pts[i] as number) > (pts[iHigh] as number)) iHigh = i;
    pts[iHigh] = day.high;
  }
  if (day.low < Math.min(day.open, day.close)) {
    let iLow = iHigh === 1 ? 2 : 1;
    for (let i = 1; i < n; i++) if (i !== iHigh && (pts[i] as number) < (pts[iLow] as number)) iLow = i;
    pts[iLow] = day.low;
  }
  const wiggle = range * 0.02;
  const weights = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = pts[i] as number;
    const c = pts[i + 1] as number;
    bars.open[i] = o;
    bars.close[i] = c;
    const h = Math.max(o, c) + Math.round(Math.abs(rng.normal()) * wiggle);
    const l = Math.min(o, c) - Math.round(Math.abs(rng.normal()) * wiggle);
    bars.high[i] = Math.min(h, day.high);
    bars.low[i] = Math.max(l, day.low);
    // Trading is heavy after the open and before the close (the intraday U shape).
    const w =
      (1 + 2.5 * Math.exp(-i / 15) + 1.5 * Math.exp(-(n - 1 - i) / 15)) * Math.exp(0.4 * rng.normal());
    weights[i] = w;
    total += w;
  }
  allocate(day.vol, weights, total, bars.vol);
  return bars;
}

/** Splits a whole number over weights, largest remainders first, so the parts sum to it exactly. */
function allocate(amount: number, weights: Float64Array, total: number, out: Float64Array): void {
  const n = weights.length;
  const rema: { i: number; r: number }[] = [];
  let given = 0;
  for (let i = 0; i < n; i++) {
    const exact = (amount * (weights[i] as number)) / total;
    const whole = Math.floor(exact);
    out[i] = whole;
    given += whole;
    rema.push({ i, r: exact - whole });
  }
  rema.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; k < amount - given; k++) {
    const idx = (rema[k % n] as { i: number }).i;
    out[idx] = (out[idx] as number) + 1;
  }
}

/**
 * N-minute bars from one-minute ones, cut within each session from its open: 60-minute equity bars
 * end at 10:30, 11:30, 14:00 and 15:00; a session's last bar may be shorter.
 */
export function aggregate(bars: MinuteBars, sessions: readonly Session[], minutes: number): MinuteBars {
  if (minutes === 1) return bars;
  const groups: [number, number, number][] = [];
  let k = 0;
  for (const s of sessions) {
    for (let first = 0; first < s.minutes; first += minutes) {
      const last = Math.min(first + minutes, s.minutes);
      groups.push([k + first, k + last, s.open + last]);
    }
    k += s.minutes;
  }
  const out = emptyBars(groups.length);
  groups.forEach(([a, b, end], g) => {
    out.end[g] = end;
    out.open[g] = bars.open[a] as number;
    out.close[g] = bars.close[b - 1] as number;
    let h = Number.NEGATIVE_INFINITY;
    let l = Number.POSITIVE_INFINITY;
    let v = 0;
    for (let i = a; i < b; i++) {
      if ((bars.high[i] as number) > h) h = bars.high[i] as number;
      if ((bars.low[i] as number) < l) l = bars.low[i] as number;
      v += bars.vol[i] as number;
    }
    out.high[g] = h;
    out.low[g] = l;
    out.vol[g] = v;
  });
  return out;
}

/**
 * `YYYY-MM-DD HH:MM:SS` of a bar end. `day` is the dashed trading day, `evening` the dashed day a
 * night session is held on (the open day before); a night bar past midnight is on the next date.
 */
export function barTime(day: string, evening: string, minuteOfDay: number): string {
  if (minuteOfDay < 18 * 60) return `${day} ${clock(minuteOfDay)}`;
  if (minuteOfDay < 24 * 60) return `${evening} ${clock(minuteOfDay)}`;
  const next = new Date(`${evening}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return `${next.toISOString().slice(0, 10)} ${clock(minuteOfDay - 24 * 60)}`;
}

/** `HH:MM:SS` of a minute of the day. */
export function clock(minuteOfDay: number): string {
  const h = Math.floor(minuteOfDay / 60);
  const m = minuteOfDay % 60;
  return `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:00`;
}
