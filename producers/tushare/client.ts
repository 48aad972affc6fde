import { type ApiName, endpoint } from '../../contracts/catalog/index.js';
import type { Secret } from '../../contracts/config.js';
import {
  TushareBadResponseError,
  TushareError,
  TusharePermissionError,
  TushareRateLimitError,
  TushareTokenError,
  TushareTransientError,
} from '../../contracts/errors.js';
import { pipelineMetrics } from '../../infra/metrics/registry.js';
import { readEnvelope, toRows } from './answer.js';
import { type CallBudget, LocalCallBudget, quotaFreesAt } from './budget.js';
import { itemsDigest, pageThrough, type RawPage } from './paging.js';
import { paramsHash } from './params-hash.js';
import { classifyAnswer, type RateWindow, type TushareRequest } from './protocol.js';
import { type Clock, realClock, realSleep, type Sleep } from './rate-limiter.js';
import { type BackoffOptions, DEFAULT_BACKOFF, fullJitterDelay, worthRetrying } from './retry.js';
import type { CallCounters, TusharePage, TushareParams, TushareRow, TushareSource } from './source.js';

export type SourceLogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Where the client's log lines go; fields never hold the token or a request body. */
export type SourceLog = (level: SourceLogLevel, message: string, fields: Record<string, unknown>) => void;

export interface TushareClientOptions {
  apiUrl: string;
  /** Without one the request carries an empty token (the sandbox may take any). */
  token?: Secret;
  callsPerMinute: number;
  rateLimits: Readonly<Record<string, number>>;
  maxAttempts: number;
  timeoutMs: number;
  pageCap: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  sleep?: Sleep;
  /**
   * Decides when calls may start and learns Tushare's stated limits; by default a budget of this
   * process alone, from `callsPerMinute` and `rateLimits`.
   */
  budget?: CallBudget;
  /** Source of the backoff jitter, in [0, 1). */
  random?: () => number;
  log?: SourceLog;
}

/** Messages from the server are echoed in errors, shortened: a proxy may answer with a whole page. */
const MAX_ECHO = 300;

interface PageContext {
  apiName: string;
  paramsHash: string;
  page: number;
}

/**
 * The Tushare Pro client behind the `TushareSource` port: pages at the endpoint's row limit,
 * rate-limits per api_name, retries what is worth retrying with full-jitter backoff, and reports every
 * failure as a `TushareError` whose details name the call (api_name, params hash, page) but never
 * carry the token or the request body.
 */
export function createTushareClient(options: TushareClientOptions): TushareSource {
  const clock = options.clock ?? realClock;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const log: SourceLog = options.log ?? (() => {});
  const budget =
    options.budget ??
    new LocalCallBudget({
      callsPerMinute: options.callsPerMinute,
      limits: options.rateLimits,
      clock,
      sleep,
    });
  const counters: CallCounters = {
    requests: 0,
    pages: 0,
    retries: 0,
    rowsFetched: 0,
    errorsByClass: {},
    requestsByApi: {},
  };

  // Belt and braces: a proxy or a misbehaving server could echo the token back in its message.
  const scrub = (text: string): string => {
    const secret = options.token?.reveal();
    const clean = secret ? text.split(secret).join('***') : text;
    return clean.length > MAX_ECHO ? `${clean.slice(0, MAX_ECHO)}…` : clean;
  };

  const countError = (error: TushareError) => {
    counters.errorsByClass[error.code] = (counters.errorsByClass[error.code] ?? 0) + 1;
  };

  function fromAnswer(ctx: PageContext, details: Record<string, unknown>, code: number, msg: string) {
    const where = `tushare ${ctx.apiName} page ${ctx.page}`;
    const base = { ...ctx, ...details, tushareCode: code };
    const answer = classifyAnswer(code, msg);
    switch (answer.kind) {
      case 'token':
        return new TushareTokenError(`${where}: token refused (${code}): ${msg}`, base);
      case 'unknown_api':
        return new TusharePermissionError(`${where}: no such api on this server (${code}): ${msg}`, {
          ...base,
          reason: 'unknown_api',
        });
      case 'permission':
        return new TusharePermissionError(`${where}: no permission (${code}): ${msg}`, {
          ...base,
          reason: 'no_permission',
        });
      case 'rate_limit':
        return new TushareRateLimitError(`${where}: rate limited per ${answer.window} (${code}): ${msg}`, {
          ...base,
          window: answer.window,
          limit: answer.limit,
        });
      default:
        return new TushareBadResponseError(`${where}: error answer (${code}): ${msg}`, {
          ...base,
          reason: 'error_code',
        });
    }
  }

  /** One HTTP exchange, turned into a page of rows or a TushareError. */
  async function send(
    ctx: PageContext,
    attempt: number,
    body: string,
    signal: AbortSignal | undefined,
  ): Promise<RawPage<TushareRow[]>> {
    const where = `tushare ${ctx.apiName} page ${ctx.page}`;
    const details = { ...ctx, attempt };
    const timeout = AbortSignal.timeout(options.timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await fetch(options.apiUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        throw new TushareTransientError(`${where}: no answer within ${options.timeoutMs} ms`, {
          ...details,
          reason: 'timeout',
        });
      throw new TushareTransientError(`${where}: network error: ${scrub(describe(error))}`, {
        ...details,
        reason: 'network',
      });
    }
    if (status >= 500 || status === 408)
      throw new TushareTransientError(`${where}: HTTP ${status}`, {
        ...details,
        httpStatus: status,
        reason: 'http_status',
      });
    if (status === 429)
      throw new TushareRateLimitError(`${where}: HTTP 429`, {
        ...details,
        httpStatus: status,
        window: 'minute',
      });
    if (status < 200 || status >= 300)
      throw new TushareBadResponseError(`${where}: HTTP ${status}`, {
        ...details,
        httpStatus: status,
        reason: 'http_status',
      });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new TushareBadResponseError(`${where}: answer is not JSON`, {
        ...details,
        reason: 'malformed_json',
      });
    }
    const envelope = readEnvelope(json);
    if ('problem' in envelope)
      throw new TushareBadResponseError(`${where}: ${envelope.problem}`, { ...details, reason: 'bad_shape' });
    if (!envelope.ok) throw fromAnswer(ctx, { attempt }, envelope.code, scrub(envelope.msg));
    const rows = toRows(ctx.apiName, envelope.fields, envelope.items);
    if ('problem' in rows)
      throw new TushareBadResponseError(`${where}: ${rows.problem}`, { ...details, reason: 'bad_value' });
    return {
      count: envelope.items.length,
      digest: itemsDigest(envelope.items),
      hasMore: envelope.hasMore,
      value: rows,
    };
  }

  /** A refusal that states its limit teaches the budget: the N is this token's, for this endpoint. */
  async function learnFrom(apiName: string, error: TushareRateLimitError): Promise<void> {
    const { limit, window } = error.details as { limit?: unknown; window?: RateWindow };
    if (typeof limit !== 'number' || window === undefined) return;
    const blockedUntil = quotaFreesAt(window, clock());
    await budget.learn({ apiName, window, limit, blockedUntil });
    log('warn', 'tushare limit learned', { apiName, window, limit, blockedUntil });
  }

  /** One page, with the call budget in front and retries behind. */
  async function fetchPage(
    ctx: PageContext,
    request: Omit<TushareRequest, 'token'>,
    signal: AbortSignal | undefined,
  ): Promise<RawPage<TushareRow[]>> {
    const body = JSON.stringify({
      ...request,
      token: options.token?.reveal() ?? '',
    } satisfies TushareRequest);
    for (let attempt = 1; ; attempt++) {
      await budget.acquire(ctx.apiName, signal);
      counters.requests++;
      const byApi = counters.requestsByApi as Record<string, number>;
      byApi[ctx.apiName] = (byApi[ctx.apiName] ?? 0) + 1;
      if (attempt > 1) counters.retries++;
      const started = clock();
      try {
        const page = await send(ctx, attempt, body, signal);
        pipelineMetrics.tushareCall(ctx.apiName, (clock() - started) / 1000);
        log('debug', 'tushare page fetched', { ...ctx, attempt, rows: page.count, ms: clock() - started });
        return page;
      } catch (error) {
        if (!(error instanceof TushareError)) throw error;
        pipelineMetrics.tushareCall(ctx.apiName, (clock() - started) / 1000, error.code);
        countError(error);
        if (error instanceof TushareRateLimitError) await learnFrom(ctx.apiName, error);
        const retry = attempt < options.maxAttempts && worthRetrying(error);
        let delayMs = 0;
        if (retry) {
          delayMs = fullJitterDelay(attempt, backoff, random);
          // Retrying a rate-limit answer before the window has room only earns another one.
          if (error instanceof TushareRateLimitError)
            delayMs = Math.max(delayMs, await budget.msUntilSlotFrees(ctx.apiName));
        }
        log('warn', retry ? 'tushare call failed, retrying' : 'tushare call failed', {
          ...ctx,
          attempt,
          code: error.code,
          tushareCode: error.details.tushareCode,
          reason: error.details.reason,
          message: error.message,
          ...(retry ? { retryInMs: delayMs } : {}),
        });
        if (!retry) throw error;
        await sleep(delayMs, signal);
      }
    }
  }

  async function* pages(
    apiName: ApiName,
    params: TushareParams,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<TusharePage> {
    const spec = endpoint(apiName);
    // limit/offset belong to the pager; a caller's own would fight it.
    const query = Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'limit' && k !== 'offset'));
    const hash = paramsHash(query);
    const fields = spec.fields.map((f) => f.tushareName ?? f.name).join(',');
    const pager = pageThrough<TushareRow[]>(
      (page, offset) =>
        fetchPage(
          { apiName, paramsHash: hash, page },
          { api_name: apiName, params: { ...query, limit: spec.rowLimit, offset }, fields },
          signal,
        ),
      {
        limit: spec.rowLimit,
        pageCap: options.pageCap,
        fail: (reason, page, message) => {
          const error = new TushareBadResponseError(`tushare ${apiName} page ${page}: ${message}`, {
            apiName,
            paramsHash: hash,
            page,
            reason,
          });
          countError(error);
          log('warn', 'tushare paging stopped', {
            apiName,
            paramsHash: hash,
            page,
            code: error.code,
            reason,
          });
          return error;
        },
      },
    );
    for await (const { page, offset, value } of pager) {
      counters.pages++;
      counters.rowsFetched += value.length;
      pipelineMetrics.rowsFetched(apiName, value.length);
      yield { apiName, params: query, paramsHash: hash, page, offset, rows: value };
    }
  }

  return {
    pages: (apiName, params, opts) => pages(apiName, params, opts?.signal),
    counters: () => ({
      ...counters,
      errorsByClass: { ...counters.errorsByClass },
      requestsByApi: { ...counters.requestsByApi },
    }),
  };
}

/** The useful part of a fetch failure: undici hides the socket error in `cause`. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return error.message;
}
