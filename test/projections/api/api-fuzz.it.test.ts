import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime, setUp } from '../../../app/runtime.js';
import { buildServer } from '../../../app/server.js';
import { loadConfig } from '../../../contracts/config.js';
import { FLAG_NAMES } from '../../../contracts/flags.js';
import { toErrorResponse } from '../../../projections/api/http-errors.js';
import { type IsolatedDatabase, isolatedSchema, services } from '../../harness/services.js';
import { NOW, RANGE, RUNS, STOCKS, seedProjections } from './seed.js';

// Made per run: a leak of either would be this exact string in an answer.
const ADMIN_TOKEN = `adm-${randomBytes(16).toString('hex')}`;
const TUSHARE_TOKEN = `ts-${randomBytes(16).toString('hex')}`;
/** Requests in all: thousands, and still a few seconds on the shared machine. */
const RUNS_TOTAL = 2_000;

let db: IsolatedDatabase;
let stateDir: string;
let runtime: Runtime;
let app: FastifyInstance;
let port: number;
/** Every 5xx the server logged, with its cause: what a failing property points at. */
const serverErrors: string[] = [];

interface Answer {
  /** The first answer's status; 0 when the server closed without one. */
  status: number;
  /** Every answer's status, in order. */
  statuses: number[];
  headers: string;
  body: string;
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/**
 * One request on the wire, written by hand so the path and headers go out byte for byte (Node's
 * client refuses some of them), one connection each. The whole reply is kept: a server that
 * answered twice (a body it read as a second request) is checked on every answer it gave.
 */
function send(req: Sent): Promise<Answer> {
  const head = [
    `${req.method} ${req.path} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    'connection: close',
    ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`),
    ...(req.body === undefined ? [] : [`content-length: ${req.body.length}`]),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
      if (req.body !== undefined) socket.write(req.body);
    });
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error(`no answer to ${req.method} ${req.path}`)));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const statuses = [...raw.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
      const split = raw.indexOf('\r\n\r\n');
      resolve({
        status: statuses[0] ?? 0,
        statuses,
        headers: split < 0 ? raw : raw.slice(0, split),
        body: split < 0 ? '' : raw.slice(split + 4),
      });
    });
  });
}

interface RouteShape {
  method: string;
  /** OpenAPI template: `/runs/{id}`. */
  template: string;
  query: string[];
}

/** Every route the server documents, read from its own /openapi.json: nothing listed by hand. */
async function routesOf(): Promise<RouteShape[]> {
  const answer = await send({ method: 'GET', path: '/openapi.json', headers: {} });
  const doc = JSON.parse(answer.body) as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  return Object.entries(doc.paths).flatMap(([template, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
}

/** Encodings a URL may carry that decode to something hostile, or do not decode at all. */
const HOSTILE = [
  '%00',
  'a%00b',
  '%',
  '%zz',
  '%C0%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%E2%80%AE',
  '..%2F..%2F',
  '%2F',
  '\u00ff\u00fe',
  "'%3B%20DROP%20TABLE%20ingest_runs%3B%20--",
  '%27%3B%20--',
  'run-a%00',
  '20240231',
  '99999999',
  '00000000',
  'universe',
];

/** encodeURIComponent, which throws on an unpaired surrogate: that one goes out as its raw bytes. */
const encode = (value: string): string => {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
};

/** A path segment or a query value: plain text encoded, a hostile encoding, or something valid. */
const text = (valid: readonly string[]): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }).map(encode),
    fc.string({ unit: 'grapheme', maxLength: 8 }).map(encode),
    fc.constantFrom(...HOSTILE),
    fc.constantFrom(...valid.map(encode), 'universe'),
    fc.integer({ min: 1, max: 20_000 }).map((n) => 'x'.repeat(n)),
    fc
      .array(fc.constantFrom(...HOSTILE, ...valid), { minLength: 1, maxLength: 4 })
      .map((parts) => parts.join(',')),
  );

/** Values a real caller would send, so some requests get past validation and reach the store. */
const VALID: Record<string, readonly string[]> = {
  id: RUNS.map((r) => r.runId),
  target: ['universe', ...STOCKS, STOCKS.join(',')],
  from: [RANGE.from, '20251201'],
  to: [RANGE.to, '20260131'],
  tradeDate: [RANGE.from, RANGE.to],
  asOf: [RANGE.to],
  modules: ['daily', 'daily,fund_daily', 'suspend_d'],
  module: ['daily', 'fut_daily'],
  limit: ['1', '0', '-1', '500', '501', '1e3', 'NaN'],
  status: ['ok', 'running', 'failed', 'nope'],
  chain: ['main', 'index_daily'],
};

/** A query: mostly the route's own names with values of every kind, sometimes names of its own. */
const queryOf = (names: readonly string[]): fc.Arbitrary<[string, string][]> =>
  fc.array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: (names.length > 0 ? fc.constantFrom(...names) : fc.constant('x')).chain((key) =>
          fc.tuple(fc.constant(key), text(VALID[key] ?? [])),
        ),
      },
      { weight: 1, arbitrary: fc.tuple(text([]), text([])) },
    ),
    { maxLength: 6 },
  );

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers that frame the request itself: a random value there tests the client, not the server. */
const FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
]);
const headerValue = fc
  .string({ unit: 'binary-ascii', maxLength: 200 })
  .map((s) => s.replace(/[^\t\x20-\x7e]/g, ''));

const headersOf = fc.record(
  {
    authorization: fc.oneof(
      fc.constant(`Bearer ${ADMIN_TOKEN}`),
      fc.constant(`Bearer ${ADMIN_TOKEN.slice(0, -1)}`),
      fc.constant(`bearer ${ADMIN_TOKEN}`),
      fc.constant(`Bearer ${TUSHARE_TOKEN}`),
      headerValue,
    ),
    'content-type': fc.oneof(
      fc.constant('application/json'),
      fc.constant('application/json; charset=utf-16'),
      fc.constant('text/plain'),
      fc.constant('multipart/form-data; boundary=x'),
      headerValue,
    ),
    accept: headerValue,
    cookie: headerValue,
    'x-forwarded-for': headerValue,
    extra: fc.tuple(
      fc
        .string({ minLength: 1, maxLength: 20 })
        .filter((k) => HEADER_TOKEN.test(k) && !FRAMING.has(k.toLowerCase())),
      headerValue,
    ),
  },
  { requiredKeys: [] },
);

/** Bodies: JSON built from the real switch names (some valid, some not), any JSON, raw bytes. */
const bodyOf: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  fc.constant(undefined),
  fc
    .record(
      {
        ...Object.fromEntries(FLAG_NAMES.map((name) => [name, fc.oneof(fc.boolean(), fc.jsonValue())])),
        reason: fc.oneof(
          fc.string({ unit: 'binary', maxLength: 600 }),
          fc.constant('fuzz\u0000reason'),
          fc.constant('\ud800'),
          fc.constant('x'.repeat(10_000)),
        ),
      },
      { requiredKeys: [] },
    )
    .map((o) => Buffer.from(JSON.stringify(o))),
  fc.jsonValue({ maxDepth: 30 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 1, max: 40 }).map((n) => Buffer.from(`${'['.repeat(n * 100)}${']'.repeat(n * 100)}`)),
);

beforeAll(async () => {
  db = await isolatedSchema(services().postgresUrl);
  stateDir = await mkdtemp(join(tmpdir(), 'xasset-api-fuzz-'));
  runtime = await openRuntime(
    loadConfig({
      XASSET_DATABASE_URL: services().postgresUrl,
      XASSET_DATABASE_SCHEMA: db.schema,
      XASSET_STATE_DIR: stateDir,
      XASSET_ADMIN_TOKEN: ADMIN_TOKEN,
      TUSHARE_TOKEN,
    }),
  );
  await setUp(runtime);
  await seedProjections(runtime.pool);
  app = buildServer(runtime, { now: () => NOW });
  // The server's own 5xx log: a failing property names the cause, not just the status.
  app.addHook('onError', async (req, _reply, err) => {
    if (toErrorResponse(err).status >= 500) serverErrors.push(`${req.method} ${req.url}: ${String(err)}`);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
  await db?.drop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('generated requests to every route of a real server', () => {
  it('never answer 5xx, and never carry a token in a body or header', async () => {
    const routes = await routesOf();
    expect(routes.map((r) => `${r.method} ${r.template}`)).toEqual(
      expect.arrayContaining(['GET /runs/{id}', 'POST /flags', 'GET /matrix/explain', 'GET /health']),
    );
    const requestOf = fc
      .record({
        route: fc.constantFrom(...routes),
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(null) },
          {
            weight: 1,
            arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
          },
        ),
        segment: text(VALID.id ?? []),
        extraSegments: fc.array(text([]), { maxLength: 2 }),
        headers: headersOf,
        body: bodyOf,
      })
      .chain((r) => fc.tuple(fc.constant(r), queryOf(r.route.query)));

    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestOf, async ([r, query]) => {
        const base = r.route.template.replace(/\{[^}]+\}/g, r.segment);
        const path = base + r.extraSegments.map((s) => `/${s}`).join('');
        const search = query.map(([k, v]) => `${k}=${v}`).join('&');
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(r.headers))
          if (name === 'extra') headers[(value as [string, string])[0]] = (value as [string, string])[1];
          else headers[name] = value as string;
        const method = r.method ?? r.route.method;
        const sent: Sent = { method, path: search === '' ? path : `${path}?${search}`, headers };
        if (r.body !== undefined && method !== 'GET' && method !== 'HEAD') sent.body = r.body;
        const answer = await send(sent);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const what = `${sent.method} ${sent.path.slice(0, 200)} → ${answer.statuses} ${answer.body.slice(0, 300)}`;
        expect(answer.statuses.length, what).toBeGreaterThan(0);
        expect(Math.max(...answer.statuses), what).toBeLessThan(500);
        for (const token of [ADMIN_TOKEN, TUSHARE_TOKEN]) {
          expect(answer.body.includes(token), `${sent.method} ${sent.path} body`).toBe(false);
          expect(answer.headers.includes(token), `${sent.method} ${sent.path} headers`).toBe(false);
        }
      }),
      { numRuns: RUNS_TOTAL, seed: Number(process.env.XASSET_FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(serverErrors).toEqual([]);
    // The generators reach past validation too: some requests are answered 200, most 4xx.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
  }, 110_000);
});
