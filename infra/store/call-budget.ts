import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { type CallBudget, type LearnedLimit, quotaBlocked } from '../../producers/tushare/budget.js';
import type { RateWindow } from '../../producers/tushare/protocol.js';

export interface StoreCallBudgetOptions {
  pool: pg.Pool;
  tokenHash: string;
  /** This process's own limits; a limit Tushare stated (tushare_budget) lowers them. */
  callsPerMinute: number;
  limits?: Readonly<Record<string, number>>;
  windowMs?: number;
  /** Records a stated limit (a CallBudgetLearned event) and writes its projection row. */
  record(limit: LearnedLimit): Promise<void>;
}

/**
 * Tushare counts calls with its own clock, from when a call arrives. A start counted a little
 * longer than the window keeps a call that left just after the oldest one from arriving first.
 */
export const windowGuardMs = (windowMs: number): number => Math.max(250, Math.round(windowMs / 50));

interface Decision {
  wait: number;
  blocked?: { window: RateWindow; limit: number; until: number };
}

/**
 * One call budget for every producer of a token, in the store: the sliding-window log of call
 * starts (`tushare_call`) and the limits Tushare stated (`tushare_budget`), per token hash and
 * endpoint. Each acquire decides under a transaction-scoped advisory lock of its (token, endpoint),
 * on the database's clock, so producers in other processes count together and their sum stays
 * under the limit. The token itself is never stored, only its hash.
 */
export class StoreCallBudget implements CallBudget {
  readonly #o: StoreCallBudgetOptions;
  readonly #windowMs: number;

  constructor(options: StoreCallBudgetOptions) {
    this.#o = options;
    this.#windowMs = options.windowMs ?? 60_000;
  }

  #configured(apiName: string): number {
    return Math.max(1, this.#o.limits?.[apiName] ?? this.#o.callsPerMinute);
  }

  async acquire(apiName: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const decision = await this.#decide(apiName, true);
      if (decision.blocked !== undefined) {
        const { window, limit, until } = decision.blocked;
        throw quotaBlocked(apiName, window, limit, until);
      }
      if (decision.wait <= 0) return;
      await delay(decision.wait, undefined, signal ? { signal } : {});
    }
  }

  async msUntilSlotFrees(apiName: string): Promise<number> {
    return (await this.#decide(apiName, false)).wait;
  }

  async learn(limit: LearnedLimit): Promise<void> {
    await this.#o.record(limit);
  }

  /** Under the lock: blocked by a quota, or the wait before a slot frees; `take` records a start. */
  async #decide(apiName: string, take: boolean): Promise<Decision> {
    const client = await this.#o.pool.connect();
    const { tokenHash } = this.#o;
    const span = this.#windowMs + windowGuardMs(this.#windowMs);
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        `tushare-budget|${tokenHash}|${apiName}`,
      ]);
      const stated = await client.query<{
        rate_window: RateWindow;
        call_limit: number;
        until_ms: string | null;
      }>(
        `SELECT rate_window, call_limit,
                (extract(epoch FROM blocked_until) * 1000)::bigint AS until_ms
           FROM tushare_budget
          WHERE token_hash = $1 AND api_name = $2
            AND (rate_window = 'minute' OR blocked_until > clock_timestamp())`,
        [tokenHash, apiName],
      );
      const quota = stated.rows.find((r) => r.rate_window !== 'minute' && r.until_ms !== null);
      if (quota !== undefined) {
        await client.query('COMMIT');
        return {
          wait: 0,
          blocked: { window: quota.rate_window, limit: quota.call_limit, until: Number(quota.until_ms) },
        };
      }
      const learned = stated.rows.find((r) => r.rate_window === 'minute')?.call_limit;
      const limit = Math.min(this.#configured(apiName), learned ?? Number.POSITIVE_INFINITY);
      await client.query(
        `DELETE FROM tushare_call
          WHERE token_hash = $1 AND api_name = $2
            AND started_at <= clock_timestamp() - $3 * interval '1 millisecond'`,
        [tokenHash, apiName, span],
      );
      const window = await client.query<{ n: number; wait_ms: string | null }>(
        `SELECT count(*)::int AS n,
                ceil(extract(epoch FROM min(started_at) + $3 * interval '1 millisecond' - clock_timestamp()) * 1000)::bigint AS wait_ms
           FROM tushare_call WHERE token_hash = $1 AND api_name = $2`,
        [tokenHash, apiName, span],
      );
      const row = window.rows[0];
      const inWindow = row?.n ?? 0;
      if (inWindow < limit) {
        if (take)
          await client.query(
            'INSERT INTO tushare_call (token_hash, api_name, started_at) VALUES ($1, $2, clock_timestamp())',
            [tokenHash, apiName],
          );
        await client.query('COMMIT');
        return { wait: 0 };
      }
      await client.query('COMMIT');
      return { wait: Math.max(1, Number(row?.wait_ms ?? 1)) };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }
}
