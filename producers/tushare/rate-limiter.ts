import { setTimeout as delay } from 'node:timers/promises';

export type Clock = () => number;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realClock: Clock = () => Date.now();
export const realSleep: Sleep = (ms, signal) =>
  ms <= 0 ? Promise.resolve() : delay(ms, undefined, signal ? { signal } : {});

export interface RateLimiterOptions {
  /** Calls per window for an endpoint without its own entry in `limits`. */
  callsPerMinute: number;
  /** Per-endpoint overrides. */
  limits?: Readonly<Record<string, number>>;
  /** Tushare counts per minute; tests may shorten it. */
  windowMs?: number;
  clock?: Clock;
  sleep?: Sleep;
}

/**
 * A sliding-window log per endpoint: at most N calls start in any window of `windowMs`. Tushare's
 * limits are "N per minute" per api_name, and a log (rather than a token bucket) never lets a burst
 * of N at the end of one minute meet N more at the start of the next. Waits instead of failing.
 */
export class RateLimiter {
  readonly #starts = new Map<string, number[]>();
  readonly #default: number;
  readonly #limits: Readonly<Record<string, number>>;
  readonly #learned = new Map<string, number>();
  readonly #windowMs: number;
  readonly #clock: Clock;
  readonly #sleep: Sleep;

  constructor(options: RateLimiterOptions) {
    this.#default = options.callsPerMinute;
    this.#limits = options.limits ?? {};
    this.#windowMs = options.windowMs ?? 60_000;
    this.#clock = options.clock ?? realClock;
    this.#sleep = options.sleep ?? realSleep;
  }

  limitOf(key: string): number {
    const configured = this.#limits[key] ?? this.#default;
    return Math.max(1, Math.min(configured, this.#learned.get(key) ?? configured));
  }

  /** Keeps `key` at or below `limit` from now on (a limit the server stated); never raises it. */
  lower(key: string, limit: number): void {
    this.#learned.set(key, Math.min(limit, this.#learned.get(key) ?? limit));
  }

  /** Resolves when a call to `key` may start, and records that start. */
  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    const limit = this.limitOf(key);
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#clock();
      const starts = this.#prune(key, now);
      if (starts.length < limit) {
        starts.push(now);
        return;
      }
      // Re-checked after the wait: another caller may have taken the slot that freed.
      await this.#sleep((starts[0] as number) + this.#windowMs - now, signal);
    }
  }

  /**
   * How long until the oldest call in the window ages out. After the server says "rate limited",
   * that is the earliest moment its window can have room again, if it counts what we count.
   */
  msUntilSlotFrees(key: string): number {
    const now = this.#clock();
    const oldest = this.#prune(key, now)[0];
    return oldest === undefined ? 0 : Math.max(0, oldest + this.#windowMs - now);
  }

  #prune(key: string, now: number): number[] {
    let starts = this.#starts.get(key);
    if (starts === undefined) {
      starts = [];
      this.#starts.set(key, starts);
    }
    let expired = 0;
    while (expired < starts.length && (starts[expired] as number) <= now - this.#windowMs) expired++;
    if (expired > 0) starts.splice(0, expired);
    return starts;
  }
}
