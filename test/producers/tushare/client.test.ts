import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { Secret } from '../../../contracts/config.js';
import {
  TushareBadResponseError,
  TushareError,
  TusharePermissionError,
  TushareRateLimitError,
  TushareTokenError,
  TushareTransientError,
} from '../../../contracts/errors.js';
import { metricsRegistry } from '../../../infra/metrics/registry.js';
import type { WireRow } from '../../../producers/sandbox/dataset.js';
import type { FaultPlan } from '../../../producers/sandbox/faults.js';
import { type Sandbox, startSandbox } from '../../../producers/sandbox/server.js';
import { createTushareClient, type TushareClientOptions } from '../../../producers/tushare/client.js';
import { paramsHash } from '../../../producers/tushare/params-hash.js';
import type { TusharePage, TushareSource } from '../../../producers/tushare/source.js';
import { numberOf, parseExposition } from '../../harness/exposition.js';
import { FixtureDataset, wireRows } from './dataset-fixture.js';

const DAILY_LIMIT = endpoint('daily').rowLimit;
const sandboxes: Sandbox[] = [];

afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.close()));
});

async function sandbox(
  tables: ConstructorParameters<typeof FixtureDataset>[0],
  extra: { faults?: FaultPlan; token?: string; clock?: () => number; log?: (line: string) => void } = {},
): Promise<Sandbox> {
  const { log, ...rest } = extra;
  const s = await startSandbox({
    host: '127.0.0.1',
    port: 0,
    dataset: new FixtureDataset(tables),
    ...rest,
    ...(log ? { log: (level, msg, fields) => log(JSON.stringify({ level, msg, fields })) } : {}),
  });
  sandboxes.push(s);
  return s;
}

function client(url: string, overrides: Partial<TushareClientOptions> = {}): TushareSource {
  return createTushareClient({
    apiUrl: url,
    callsPerMinute: 100_000,
    rateLimits: {},
    maxAttempts: 4,
    timeoutMs: 2_000,
    pageCap: 50,
    backoff: { baseMs: 1, maxMs: 5 },
    ...overrides,
  });
}

async function collect(source: TushareSource, apiName: 'daily' | 'shibor' = 'daily', params = {}) {
  const pages: TusharePage[] = [];
  for await (const page of source.pages(apiName, params)) pages.push(page);
  return pages;
}

async function failure(promise: Promise<unknown>): Promise<TushareError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TushareError)) throw new Error(`expected a TushareError, got ${inspect(error)}`);
  return error;
}

/** A fake clock whose sleeps advance it at once: minutes of backoff in no time. */
function fakeTime(start = 1_700_000_000_000) {
  const time = { now: start, sleeps: [] as number[] };
  return {
    time,
    clock: () => time.now,
    sleep: async (ms: number) => {
      time.sleeps.push(ms);
      time.now += ms;
    },
  };
}

describe('paging against the sandbox', () => {
  it('fetches 2.5 pages in ceil(n/limit) calls, stopping on the short last page', async () => {
    const rows = wireRows('daily', Math.floor(DAILY_LIMIT * 2.5));
    const s = await sandbox({ daily: rows });
    const source = client(s.url);
    const pages = await collect(source, 'daily', { start_date: '20240101', end_date: '20241231' });

    expect(s.calls()).toEqual({ daily: Math.ceil(rows.length / DAILY_LIMIT) });
    expect(pages.map((p) => [p.page, p.offset, p.rows.length])).toEqual([
      [0, 0, DAILY_LIMIT],
      [1, DAILY_LIMIT, DAILY_LIMIT],
      [2, 2 * DAILY_LIMIT, rows.length - 2 * DAILY_LIMIT],
    ]);
    const fetched = pages.flatMap((p) => p.rows);
    expect(fetched).toEqual(rows);
    expect(pages[0]?.paramsHash).toBe(paramsHash({ end_date: '20241231', start_date: '20240101' }));
    expect(source.counters()).toEqual({
      requests: 3,
      pages: 3,
      retries: 0,
      rowsFetched: rows.length,
      errorsByClass: {},
      requestsByApi: { daily: 3 },
    });
  });

  it('stops on has_more false after an exactly full last page (no empty extra call)', async () => {
    const rows = wireRows('daily', DAILY_LIMIT * 2);
    const s = await sandbox({ daily: rows });
    const pages = await collect(client(s.url));
    expect(s.calls().daily).toBe(2);
    expect(pages.flatMap((p) => p.rows)).toHaveLength(rows.length);
  });

  it('answers an empty query with one empty page', async () => {
    const s = await sandbox({ daily: [] });
    const pages = await collect(client(s.url));
    expect(pages.map((p) => p.rows.length)).toEqual([0]);
    expect(s.calls().daily).toBe(1);
  });

  it('maps Tushare column names to catalog names (shibor 1w → w1)', async () => {
    const rows = wireRows('shibor', 3);
    const s = await sandbox({ shibor: rows });
    const [page] = await collect(client(s.url), 'shibor');
    expect(page?.rows[1]).toMatchObject({ date: rows[1]?.date, w1: rows[1]?.['1w'], y1: rows[1]?.['1y'] });
    expect(page?.rows[1]).not.toHaveProperty('1w');
  });

  it('refuses a page that repeats the previous one instead of looping', { timeout: 5_000 }, async () => {
    const s = await sandbox(
      { daily: wireRows('daily', DAILY_LIMIT * 2) },
      { faults: { daily: { repeatPages: true } } },
    );
    const source = client(s.url);
    const error = await failure(collect(source));
    expect(error).toBeInstanceOf(TushareBadResponseError);
    expect(error.details).toMatchObject({ apiName: 'daily', page: 1, reason: 'page_repeat' });
    expect(s.calls().daily).toBe(2);
    expect(source.counters().errorsByClass).toEqual({ XASSET_TUSHARE_BAD_RESPONSE: 1 });
  });

  it('refuses to page past the page cap', { timeout: 5_000 }, async () => {
    const s = await sandbox({ daily: wireRows('daily', DAILY_LIMIT * 3) });
    const error = await failure(collect(client(s.url, { pageCap: 2 })));
    expect(error).toBeInstanceOf(TushareBadResponseError);
    expect(error.details).toMatchObject({ page: 2, reason: 'page_cap' });
    expect(s.calls().daily).toBe(2);
  });
});

describe('errors and retries against the sandbox', () => {
  const small = () => ({ daily: wireRows('daily', 10) });

  it('retries HTTP 5xx and succeeds, counting the retries', async () => {
    const s = await sandbox(small(), { faults: { daily: { serverErrors: { first: 2 } } } });
    const source = client(s.url);
    const pages = await collect(source);
    expect(pages[0]?.rows).toHaveLength(10);
    expect(s.calls().daily).toBe(3);
    expect(source.counters()).toMatchObject({
      requests: 3,
      retries: 2,
      pages: 1,
      errorsByClass: { XASSET_TUSHARE_TRANSIENT: 2 },
    });
  });

  it('reports every call, its outcome and its rows to the process metrics', async () => {
    const s = await sandbox(small(), { faults: { daily: { serverErrors: { first: 2 } } } });
    const read = async () => {
      const m = parseExposition(await metricsRegistry.metrics());
      const calls = (outcome: string) =>
        numberOf(m, 'xasset_tushare_requests_total', { api_name: 'daily', outcome }) ?? 0;
      return {
        ok: calls('ok'),
        transient: calls('transient'),
        rows: numberOf(m, 'xasset_fetch_rows_total', { api_name: 'daily' }) ?? 0,
      };
    };
    const before = await read();
    await collect(client(s.url));
    const after = await read();
    expect(after.ok - before.ok).toBe(1);
    expect(after.transient - before.transient).toBe(2);
    expect(after.rows - before.rows).toBe(10);
  });

  it('gives up after maxAttempts on a server that keeps failing', async () => {
    const s = await sandbox(small(), { faults: { '*': { serverErrors: { every: 1 } } } });
    const source = client(s.url, { maxAttempts: 3 });
    const error = await failure(collect(source));
    expect(error).toBeInstanceOf(TushareTransientError);
    expect(error.details).toMatchObject({ httpStatus: 503, attempt: 3 });
    expect(s.calls().daily).toBe(3);
    expect(source.counters().errorsByClass).toEqual({ XASSET_TUSHARE_TRANSIENT: 3 });
  });

  it('backs off a rate-limit answer until the window frees, then succeeds', async () => {
    const fake = fakeTime();
    const s = await sandbox(
      { daily: wireRows('daily', Math.floor(DAILY_LIMIT * 2.5)) },
      { faults: { daily: { rateLimitPerMinute: 2 } }, clock: fake.clock },
    );
    const source = client(s.url, { clock: fake.clock, sleep: fake.sleep });
    const pages = await collect(source);
    expect(pages).toHaveLength(3);
    expect(s.calls().daily).toBe(4);
    expect(source.counters()).toMatchObject({
      requests: 4,
      retries: 1,
      pages: 3,
      errorsByClass: { XASSET_TUSHARE_RATE_LIMIT: 1 },
    });
    expect(Math.max(...fake.time.sleeps)).toBeGreaterThanOrEqual(60_000);
  });

  it('keeps its own per-endpoint limit without any answer from the server', async () => {
    const fake = fakeTime();
    const s = await sandbox(
      { daily: wireRows('daily', Math.floor(DAILY_LIMIT * 2.5)) },
      { clock: fake.clock },
    );
    const source = client(s.url, { clock: fake.clock, sleep: fake.sleep, rateLimits: { daily: 2 } });
    await collect(source);
    expect(source.counters().errorsByClass).toEqual({});
    expect(fake.time.sleeps).toEqual([60_000]);
  });

  it('does not retry a permission error', async () => {
    const s = await sandbox(small(), { faults: { daily: { permissionDenied: true } } });
    const source = client(s.url);
    const error = await failure(collect(source));
    expect(error).toBeInstanceOf(TusharePermissionError);
    expect(error.details).toMatchObject({ apiName: 'daily', page: 0, tushareCode: 40203 });
    expect(s.calls().daily).toBe(1);
    expect(source.counters()).toMatchObject({ retries: 0, errorsByClass: { XASSET_TUSHARE_PERMISSION: 1 } });
  });

  it('does not retry a token error', async () => {
    const s = await sandbox(small(), { token: 'the-right-token' });
    const source = client(s.url, { token: new Secret('a-wrong-token') });
    const error = await failure(collect(source));
    expect(error).toBeInstanceOf(TushareTokenError);
    expect(error.details).toMatchObject({ tushareCode: 40101 });
    expect(s.calls().daily).toBe(1);
    expect(source.counters()).toMatchObject({ retries: 0, errorsByClass: { XASSET_TUSHARE_TOKEN: 1 } });
  });

  it('sends the configured token', async () => {
    const s = await sandbox(small(), { token: 'the-right-token' });
    const pages = await collect(client(s.url, { token: new Secret('the-right-token') }));
    expect(pages[0]?.rows).toHaveLength(10);
  });

  it('reports an endpoint the server does not serve as a permission error, without retry', async () => {
    const s = await sandbox({ shibor: wireRows('shibor', 1) });
    const error = await failure(collect(client(s.url)));
    expect(error).toBeInstanceOf(TusharePermissionError);
    expect(error.details).toMatchObject({ reason: 'unknown_api', tushareCode: 40101 });
    expect(s.calls().daily).toBe(1);
  });

  it('retries a body that is not JSON (a cut connection or a proxy page) and succeeds', async () => {
    const s = await sandbox(small(), { faults: { daily: { malformedJson: { first: 2 } } } });
    const source = client(s.url);
    const pages = await collect(source);
    expect(pages[0]?.rows).toHaveLength(10);
    expect(source.counters()).toMatchObject({
      retries: 2,
      errorsByClass: { XASSET_TUSHARE_BAD_RESPONSE: 2 },
    });
  });

  it('reports a bad response once every attempt brought malformed JSON', async () => {
    const s = await sandbox(small(), { faults: { daily: { malformedJson: { every: 1 } } } });
    const error = await failure(collect(client(s.url, { maxAttempts: 3 })));
    expect(error).toBeInstanceOf(TushareBadResponseError);
    expect(error.details).toMatchObject({ reason: 'malformed_json', attempt: 3 });
    expect(s.calls().daily).toBe(3);
  });

  it('does not retry valid JSON with a value of the wrong type', async () => {
    const rows: WireRow[] = wireRows('daily', 3).map((r, i) => (i === 1 ? { ...r, close: 'n/a' } : r));
    const s = await sandbox({ daily: rows });
    const error = await failure(collect(client(s.url)));
    expect(error).toBeInstanceOf(TushareBadResponseError);
    expect(error.details).toMatchObject({ reason: 'bad_value' });
    expect(error.message).toContain("row 1: 'close'");
    expect(s.calls().daily).toBe(1);
  });

  it('times out a slow answer as transient and retries it', { timeout: 10_000 }, async () => {
    const s = await sandbox(small(), { faults: { daily: { latencyMs: 400 } } });
    const source = client(s.url, { timeoutMs: 100, maxAttempts: 2 });
    const error = await failure(collect(source));
    expect(error).toBeInstanceOf(TushareTransientError);
    expect(error.details).toMatchObject({ reason: 'timeout', attempt: 2 });
    expect(source.counters()).toMatchObject({
      requests: 2,
      retries: 1,
      errorsByClass: { XASSET_TUSHARE_TRANSIENT: 2 },
    });
  });

  it('treats a refused connection as transient', async () => {
    const port = await freePort();
    const source = client(`http://127.0.0.1:${port}`, { maxAttempts: 2 });
    const error = await failure(collect(source));
    expect(error).toBeInstanceOf(TushareTransientError);
    expect(error.details).toMatchObject({ reason: 'network' });
    expect(error.message).toContain('ECONNREFUSED');
    expect(source.counters().requests).toBe(2);
  });

  it('stops at once when the caller aborts', async () => {
    const s = await sandbox(small(), { faults: { daily: { latencyMs: 2_000 } } });
    const controller = new AbortController();
    const source = client(s.url);
    const pending = (async () => {
      for await (const _ of source.pages('daily', {}, { signal: controller.signal })) {
        // no page is expected
      }
    })();
    setTimeout(() => controller.abort(), 50);
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TushareError);
    expect((error as Error).name).toBe('AbortError');
    expect(source.counters().errorsByClass).toEqual({});
  });
});

describe('the token never leaks', () => {
  it('is absent from every error class, its JSON, its inspection and every log line', {
    timeout: 15_000,
  }, async () => {
    const tokenText = `tok-${randomBytes(16).toString('hex')}`;
    const token = new Secret(tokenText);
    const lines: string[] = [];
    const log = (level: string, msg: string, fields: Record<string, unknown>) =>
      lines.push(JSON.stringify({ level, msg, fields }));
    const serverLines: string[] = [];
    const fake = fakeTime();
    const rows = { daily: wireRows('daily', DAILY_LIMIT * 2) };
    const cases: {
      name: string;
      faults?: FaultPlan;
      sandboxToken?: string;
      options?: Partial<TushareClientOptions>;
    }[] = [
      { name: 'token', sandboxToken: 'another-token' },
      { name: 'permission', faults: { daily: { permissionDenied: true } } },
      { name: 'rate limit', faults: { daily: { rateLimitPerMinute: 1 } }, options: { maxAttempts: 1 } },
      {
        name: 'server error',
        faults: { daily: { serverErrors: { every: 1 } } },
        options: { maxAttempts: 2 },
      },
      { name: 'timeout', faults: { daily: { latencyMs: 300 } }, options: { timeoutMs: 50, maxAttempts: 1 } },
      { name: 'malformed', faults: { daily: { malformedJson: { every: 1 } } }, options: { maxAttempts: 2 } },
      { name: 'repeat', faults: { daily: { repeatPages: true } } },
      { name: 'page cap', options: { pageCap: 1 } },
    ];
    const errors: TushareError[] = [];
    for (const c of cases) {
      const s = await sandbox(rows, {
        ...(c.faults ? { faults: c.faults } : {}),
        ...(c.sandboxToken ? { token: c.sandboxToken } : {}),
        clock: fake.clock,
        log: (line) => serverLines.push(line),
      });
      const source = client(s.url, { token, log, clock: fake.clock, sleep: fake.sleep, ...c.options });
      errors.push(await failure(collect(source)));
    }
    const port = await freePort();
    errors.push(await failure(collect(client(`http://127.0.0.1:${port}`, { token, log, maxAttempts: 1 }))));

    expect(new Set(errors.map((e) => e.code))).toEqual(
      new Set([
        'XASSET_TUSHARE_TOKEN',
        'XASSET_TUSHARE_PERMISSION',
        'XASSET_TUSHARE_RATE_LIMIT',
        'XASSET_TUSHARE_TRANSIENT',
        'XASSET_TUSHARE_BAD_RESPONSE',
      ]),
    );
    for (const error of errors) {
      expect(error.message).not.toContain(tokenText);
      expect(JSON.stringify(error)).not.toContain(tokenText);
      expect(inspect(error, { depth: 10 })).not.toContain(tokenText);
      expect(error.details).toHaveProperty('apiName', 'daily');
      expect(error.details).toHaveProperty('paramsHash');
      expect(error.details).toHaveProperty('page');
    }
    expect(lines.length).toBeGreaterThan(cases.length);
    for (const line of [...lines, ...serverLines]) expect(line).not.toContain(tokenText);
  });

  it('scrubs a token echoed back by the server', async () => {
    const tokenText = `tok-${randomBytes(16).toString('hex')}`;
    // Echoes the whole request into the answer's msg: the worst proxy imaginable.
    const server = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        res.end(JSON.stringify({ code: 40203, msg: `抱歉，您没有访问该接口的权限 ${body}`, data: null }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await failure(
        collect(client(`http://127.0.0.1:${port}`, { token: new Secret(tokenText) })),
      );
      expect(error).toBeInstanceOf(TusharePermissionError);
      expect(error.message).toContain('***');
      expect(inspect(error, { depth: 10 })).not.toContain(tokenText);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('rate-limit answers by window', () => {
  it('does not spend attempts on a daily quota', async () => {
    let calls = 0;
    const server = createHttpServer((_req, res) => {
      calls++;
      res.end(
        JSON.stringify({
          code: 40203,
          msg: '抱歉，您每天最多访问该接口5次，权限的具体详情访问：…',
          data: null,
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const error = await failure(collect(client(`http://127.0.0.1:${port}`)));
      expect(error).toBeInstanceOf(TushareRateLimitError);
      expect(error.details).toMatchObject({ window: 'day' });
      expect(calls).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
