import {
  TushareBadResponseError,
  type TushareError,
  TushareRateLimitError,
  TushareTransientError,
} from '../../contracts/errors.js';

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * "Full jitter": a uniform delay in [0, min(max, base·2^(attempt−1))). Spreading retries over the
 * whole interval keeps parallel fetch runs from retrying in lock-step against the same limit.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * Whether another attempt can help. Transient failures can; a per-minute rate limit can once the
 * window frees; an hourly or daily quota cannot within one run. Token, permission and protocol
 * errors are final, except a body that is not JSON at all: that is what a proxy's error page or a
 * connection cut mid-body looks like, so it is retried, and reported as a bad response only once
 * every attempt failed the same way. Valid JSON in the wrong shape is Tushare's own doing: no retry.
 */
export function worthRetrying(error: TushareError): boolean {
  if (error instanceof TushareTransientError) return true;
  if (error instanceof TushareRateLimitError) return error.details.window === 'minute';
  if (error instanceof TushareBadResponseError) return error.details.reason === 'malformed_json';
  return false;
}
