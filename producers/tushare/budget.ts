import { createHash } from 'node:crypto';
import { TushareRateLimitError } from '../../contracts/errors.js';
import type { RateWindow } from './protocol.js';
import { type Clock, RateLimiter, realClock, type Sleep } from './rate-limiter.js';

/** What Tushare told us about one endpoint's limit for this token. */
export interface LearnedLimit {
  apiName: string;
  window: RateWindow;
  /** Calls allowed per window (the N of `最多访问该接口N次`). */
  limit: number;
  /** For an hour or day quota: no call before this (ms since the epoch); null for the minute limit. */
  blockedUntil: number | null;
}

/**
 * The call budget the client spends: it decides when a call may start, and learns the limits
 * Tushare states in its refusals. The local budget lives in one process; a shared one (in the
 * store) lets concurrent producers of one token spend a single budget per endpoint.
 */
export interface CallBudget {
  /** Resolves when a call may start and counts it; throws TushareRateLimitError while a quota blocks. */
  acquire(apiName: string, signal?: AbortSignal): Promise<void>;
  /** Takes a limit Tushare stated; later acquires keep to it. */
  learn(limit: LearnedLimit): Promise<void>;
  /** How long until the minute window has room again, after a refusal. */
  msUntilSlotFrees(apiName: string): Promise<number>;
}

/** Identifies a token in events and tables without revealing it: sha256, 16 hex characters. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(`tushare-token:${token}`).digest('hex').slice(0, 16);
}

const HOUR_MS = 3_600_000;
const CHINA_OFFSET_MS = 8 * HOUR_MS;

/**
 * When an hour or day quota refused at `now` frees: the next full hour, or the next midnight in
 * China (Tushare counts days on Beijing time). A minute limit is not blocked, only slowed.
 */
export function quotaFreesAt(window: RateWindow, now: number): number | null {
  if (window === 'hour') return (Math.floor(now / HOUR_MS) + 1) * HOUR_MS;
  if (window === 'day') {
    const day = 24 * HOUR_MS;
    return (Math.floor((now + CHINA_OFFSET_MS) / day) + 1) * day - CHINA_OFFSET_MS;
  }
  return null;
}

/** The refusal a blocked endpoint gets without a call being made. */
export function quotaBlocked(
  apiName: string,
  window: RateWindow,
  limit: number,
  until: number,
): TushareRateLimitError {
  return new TushareRateLimitError(
    `tushare ${apiName}: the ${window} quota of ${limit} calls is used up until ${new Date(until).toISOString()}`,
    { apiName, window, limit, blockedUntil: until, reason: 'quota_exhausted' },
  );
}

export interface LocalBudgetOptions {
  callsPerMinute: number;
  limits?: Readonly<Record<string, number>>;
  windowMs?: number;
  clock?: Clock;
  sleep?: Sleep;
  /** Limits known before the first call: learned by earlier runs (the control log holds them). */
  learned?: readonly LearnedLimit[];
}

/** A budget for one process: the sliding-window limiter, lowered to what Tushare says. */
export class LocalCallBudget implements CallBudget {
  readonly #limiter: RateLimiter;
  readonly #clock: Clock;
  readonly #quotas = new Map<string, LearnedLimit>();

  constructor(options: LocalBudgetOptions) {
    this.#clock = options.clock ?? realClock;
    this.#limiter = new RateLimiter({ ...options, clock: this.#clock });
    for (const limit of options.learned ?? []) this.#take(limit);
  }

  limitOf(apiName: string): number {
    return this.#limiter.limitOf(apiName);
  }

  async acquire(apiName: string, signal?: AbortSignal): Promise<void> {
    const quota = this.#quotas.get(apiName);
    if (quota?.blockedUntil != null && quota.blockedUntil > this.#clock())
      throw quotaBlocked(apiName, quota.window, quota.limit, quota.blockedUntil);
    await this.#limiter.acquire(apiName, signal);
  }

  async learn(limit: LearnedLimit): Promise<void> {
    this.#take(limit);
  }

  async msUntilSlotFrees(apiName: string): Promise<number> {
    return this.#limiter.msUntilSlotFrees(apiName);
  }

  #take(limit: LearnedLimit): void {
    if (limit.window === 'minute') this.#limiter.lower(limit.apiName, limit.limit);
    else this.#quotas.set(limit.apiName, limit);
  }
}
