import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TopicSchema, topicSchemas } from '../../../contracts/avro/schemas.js';
import { type ApiName, endpoint, rawTopic } from '../../../contracts/catalog/index.js';
import { Secret } from '../../../contracts/config.js';
import { addDays } from '../../../contracts/dates.js';
import { CONTROL_TOPIC, type ControlEvent } from '../../../contracts/events/control.js';
import { controlEventFromWire } from '../../../contracts/events/control-wire.js';
import { DEFAULT_FLAGS, type RolloutFlags } from '../../../contracts/flags.js';
import { topicDefinitions } from '../../../contracts/topics.js';
import type { SchemaCodec } from '../../../infra/codec/schema-codec.js';
import type { EventLog, LogRecord } from '../../../infra/log/event-log.js';
import { cursorValues, loadCursors } from '../../../producers/fetch/cursor-log.js';
import { dailyRange, openDatesOf, planFetch } from '../../../producers/fetch/planner.js';
import {
  DEFAULT_TOPICS,
  type FetchRunOptions,
  type FetchTopics,
  runFetch,
} from '../../../producers/fetch/run.js';
import type { SandboxDataset } from '../../../producers/sandbox/dataset.js';
import type { FaultPlan } from '../../../producers/sandbox/faults.js';
import { type Sandbox, startSandbox } from '../../../producers/sandbox/server.js';
import { createTushareClient } from '../../../producers/tushare/client.js';
import { paramsHash } from '../../../producers/tushare/params-hash.js';
import type { TushareSource } from '../../../producers/tushare/source.js';
import { uniqueName } from '../../harness/services.js';

/** One backend of the event log with its codec; the suite runs the same scenarios on each. */
export interface LogBackend {
  log: EventLog;
  /** A codec for these topic schemas (Kafka mode registers them under their own subjects). */
  codec(schemas: readonly TopicSchema[]): SchemaCodec;
  cleanup(): Promise<void>;
}

export interface SuiteOptions {
  /** The market behind the sandbox. */
  market(): SandboxDataset;
  /** A range of the market with a holiday inside, for the runs. */
  range: { from: string; to: string };
  /** Scenarios beyond the core ones (errors, modules): run on one backend, they test the run, not the log. */
  errorScenarios: boolean;
}

const P0_DATED: readonly ApiName[] = [
  'daily',
  'adj_factor',
  'suspend_d',
  'fund_daily',
  'fut_daily',
  'sge_daily',
];

interface World {
  topics: FetchTopics;
  codec: SchemaCodec;
  sandbox: Sandbox;
  source: TushareSource;
  market: SandboxDataset;
}

interface Decoded<T> {
  record: LogRecord;
  value: T;
}

/** Every record of a topic, all partitions, from offset 0. */
async function readTopic(log: EventLog, topic: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (const [partition, end] of await log.endOffsets(topic)) {
    let offset = 0;
    while (offset < end) {
      const records = await log.read(topic, partition, offset, 10_000);
      if (records.length === 0) break;
      out.push(...records);
      offset = (records.at(-1)?.offset ?? offset) + 1;
    }
  }
  return out;
}

async function controlEvents(world: World, log: EventLog): Promise<Decoded<ControlEvent>[]> {
  const records = await readTopic(log, world.topics.control);
  return Promise.all(
    records.map(async (record) => ({
      record,
      value: controlEventFromWire(await world.codec.decode(world.topics.control, record.value)),
    })),
  );
}

type RawValue = { envelope: Record<string, unknown> } & Record<string, unknown>;

async function rawRecords(world: World, log: EventLog, apiName: ApiName): Promise<Decoded<RawValue>[]> {
  const topic = world.topics.raw(apiName);
  const records = await readTopic(log, topic);
  return Promise.all(
    records.map(async (record) => ({
      record,
      // avsc decodes into record classes; a JSON copy compares as plain values.
      value: JSON.parse(JSON.stringify(await world.codec.decode(topic, record.value))) as RawValue,
    })),
  );
}

/** The rows the sandbox holds for a query, keyed by our catalog field names, every field present. */
function expectedRows(market: SandboxDataset, apiName: ApiName, params: Record<string, string | number>) {
  const spec = endpoint(apiName);
  return market
    .query(apiName, params)
    .map((row) => Object.fromEntries(spec.fields.map((f) => [f.name, row[f.tushareName ?? f.name] ?? null])));
}

export function fetchRunSuite(
  name: string,
  openBackend: () => Promise<LogBackend>,
  options: SuiteOptions,
): void {
  describe(`runFetch on ${name}`, () => {
    let backend: LogBackend;
    const sandboxes: Sandbox[] = [];
    const { from, to } = options.range;

    beforeAll(async () => {
      backend = await openBackend();
    });
    afterAll(async () => {
      await Promise.all(sandboxes.map((s) => s.close()));
      await backend?.cleanup();
    });

    /** Topics of their own (or the real names), the sandbox and the real client in front of it. */
    async function world(
      setup: { prefix?: string | null; faults?: FaultPlan; serverToken?: string; clientToken?: string } = {},
    ): Promise<World> {
      const prefix = setup.prefix === undefined ? uniqueName('fetch') : setup.prefix;
      const rename = (topic: string) => (prefix === null ? topic : `${prefix}.${topic}`);
      const topics: FetchTopics =
        prefix === null
          ? DEFAULT_TOPICS
          : { control: rename(CONTROL_TOPIC), raw: (api: string) => rename(rawTopic(api)) };
      await backend.log.ensureTopics(
        topicDefinitions()
          .filter((t) => t.name === CONTROL_TOPIC || t.name.startsWith('tushare.raw.'))
          .map((t) => ({ ...t, name: rename(t.name) })),
      );
      const codec = backend.codec(topicSchemas().map((s) => ({ ...s, topic: rename(s.topic) })));
      const market = options.market();
      const sandbox = await startSandbox({
        host: '127.0.0.1',
        port: 0,
        dataset: market,
        ...(setup.faults ? { faults: setup.faults } : {}),
        ...(setup.serverToken ? { token: setup.serverToken } : {}),
      });
      sandboxes.push(sandbox);
      const source = createTushareClient({
        apiUrl: sandbox.url,
        ...(setup.clientToken ? { token: new Secret(setup.clientToken) } : {}),
        callsPerMinute: 100_000,
        rateLimits: {},
        maxAttempts: 2,
        timeoutMs: 10_000,
        pageCap: 1_000,
        backoff: { baseMs: 1, maxMs: 5 },
      });
      return { topics, codec, sandbox, source, market };
    }

    const run = (w: World, extra: Partial<FetchRunOptions> = {}) =>
      runFetch({
        source: w.source,
        log: backend.log,
        codec: w.codec,
        topics: w.topics,
        endpoints: 'p0',
        from,
        to,
        flags: DEFAULT_FLAGS,
        chain: 'main',
        actor: 'test',
        heartbeatMs: 10,
        heartbeatTimeoutMs: 60_000,
        ...extra,
      });

    const openDays = (w: World) =>
      openDatesOf(expectedRows(w.market, 'trade_cal', { exchange: 'SSE', start_date: from, end_date: to }));

    it('emits the catalog rows of every P0 endpoint, the run lifecycle, and cursors only after their rows', async () => {
      const w = await world({ prefix: name.startsWith('embedded') ? null : undefined });
      const days = openDays(w);
      const result = await run(w);
      expect(result.status).toBe('ok');
      expect(result.error).toBeNull();

      // One call per open day per whole-market endpoint, one per exchange for futures.
      const calls = w.sandbox.calls();
      expect(calls.trade_cal).toBe(1);
      for (const api of ['daily', 'adj_factor', 'suspend_d', 'fund_daily', 'sge_daily'])
        expect(calls[api]).toBe(days.length);
      expect(calls.fut_daily).toBe(days.length * 6);
      expect(calls.stock_basic).toBe(3);
      const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
      expect(result.stats.requests).toBe(totalCalls);

      // Raw events decode to the rows the sandbox served, with their provenance.
      let emitted = 0;
      for (const api of [
        'trade_cal',
        'stock_basic',
        'fund_basic',
        'fut_basic',
        'sge_basic',
        'index_basic',
        ...P0_DATED,
      ] as ApiName[]) {
        const raw = await rawRecords(w, backend.log, api);
        emitted += raw.length;
        const tasks = planFetch({
          endpoints: [api],
          from,
          to,
          openDates: days,
          flags: DEFAULT_FLAGS,
          cursors: {},
        }).tasks;
        const queries =
          api === 'trade_cal'
            ? [{ exchange: 'SSE', start_date: from, end_date: to }]
            : tasks.map((t) => t.params);
        const want = queries.flatMap((params) => expectedRows(w.market, api, { ...params }));
        expect(want.length).toBeGreaterThan(0);
        const got = raw.map(({ value: { envelope, ...row } }) => row);
        expect(got.length).toBe(want.length);
        expect(got).toEqual(expect.arrayContaining(want));
        for (const { record, value } of raw) {
          expect(value.envelope).toMatchObject({ run_id: result.runId, api_name: api, page: 0 });
          expect(typeof value.envelope.fetched_at).toBe('number');
          expect(record.key?.startsWith(`${api}|`)).toBe(true);
        }
        const hashes = new Set(queries.map((q) => paramsHash(q)));
        for (const { value } of raw) expect(hashes.has(value.envelope.params_hash as string)).toBe(true);
        if (api === 'daily') {
          const first = raw.find((r) => r.value.ts_code !== null);
          expect(first?.record.key).toBe(`daily|${first?.value.ts_code}|${first?.value.trade_date}`);
        }
      }

      const control = (await controlEvents(w, backend.log)).filter(
        (e) => !('runId' in e.value.payload) || e.value.payload.runId === result.runId,
      );
      const types = control.map((e) => e.value.type);
      expect(types[0]).toBe('RunStarted');
      expect(types.at(-1)).toBe('RunFinished');
      expect(types.filter((t) => t === 'RunHeartbeat').length).toBeGreaterThan(0);
      const started = control[0]?.value;
      expect(started?.type === 'RunStarted' && started.payload).toMatchObject({
        runId: result.runId,
        chain: 'main',
        batch: 'p0',
        fromDate: from,
        toDate: to,
      });
      const finished = control.at(-1)?.value;
      expect(finished?.type === 'RunFinished' && finished.payload).toEqual({
        runId: result.runId,
        status: 'ok',
        stats: result.stats,
        error: null,
      });
      expect(result.stats.rowsEmitted).toBe(emitted);
      expect(result.stats.rowsFetched).toBe(emitted);
      expect(result.stats.pages).toBe(totalCalls);

      // Each cursor moves day by day, and only once the log holds every row of that day.
      const moves = control.flatMap((e) =>
        e.value.type === 'CursorAdvanced' ? [{ ...e.value.payload, at: e.record.timestamp }] : [],
      );
      for (const api of P0_DATED) {
        const mine = moves.filter((m) => m.cursor === `fetch.${api}`);
        expect(mine.map((m) => m.value)).toEqual(days);
        const raw = await rawRecords(w, backend.log, api);
        for (const move of mine) {
          const covered = raw.filter((r) => (r.value.trade_date as string) <= move.value);
          expect(covered.some((r) => r.value.trade_date === move.value)).toBe(true);
          for (const r of covered) expect(r.record.timestamp).toBeLessThanOrEqual(move.at);
        }
      }
      expect(moves.filter((m) => m.cursor === 'fetch.stock_basic').map((m) => m.value)).toEqual([to]);

      const cursors = cursorValues(await loadCursors(backend.log, w.codec, w.topics.control));
      for (const api of P0_DATED) expect(cursors[`fetch.${api}`]).toBe(days.at(-1));
      expect(cursors['fetch.trade_cal']).toBe(to);

      // The same range again: only the calendar is asked for, nothing is emitted.
      const ends = await Promise.all(P0_DATED.map((api) => backend.log.endOffsets(w.topics.raw(api))));
      const again = await run(w);
      expect(again.status).toBe('ok');
      expect(again.tasks.total).toBe(0);
      expect(again.stats.requests).toBe(1);
      expect(again.stats.rowsEmitted).toBe(0);
      expect(await Promise.all(P0_DATED.map((api) => backend.log.endOffsets(w.topics.raw(api))))).toEqual(
        ends,
      );
      const later = await controlEvents(w, backend.log);
      expect(
        later.some((e) => e.value.type === 'CursorAdvanced' && e.value.payload.runId === again.runId),
      ).toBe(false);

      // The daily incremental run: the same path, from the day after the cursors to "today".
      const today = addDays(to, 4);
      const range = dailyRange({ today, endpoints: 'p0', flags: DEFAULT_FLAGS, cursors });
      expect(range).toEqual({ from: addDays(to, 1), to: today });
      const daily = await run(w, range);
      expect(daily.status).toBe('ok');
      const newDays = openDatesOf(
        expectedRows(w.market, 'trade_cal', { exchange: 'SSE', start_date: range.from, end_date: today }),
      );
      expect(newDays.length).toBeGreaterThan(0);
      expect(daily.tasks.total).toBe(18 + newDays.length * 11);
      const calendar = (await rawRecords(w, backend.log, 'trade_cal')).filter(
        (r) => r.value.envelope.run_id === daily.runId,
      );
      expect(calendar.map((r) => r.value.cal_date).sort()).toEqual(
        expectedRows(w.market, 'trade_cal', { exchange: 'SSE', start_date: range.from, end_date: today })
          .map((r) => r.cal_date)
          .sort(),
      );
      const dailyRows = (await rawRecords(w, backend.log, 'daily')).filter(
        (r) => r.value.envelope.run_id === daily.runId,
      );
      expect(new Set(dailyRows.map((r) => r.value.trade_date))).toEqual(new Set(newDays));
    });

    it('resumes an interrupted run from the log: every day once, only the interrupted task again', async () => {
      const w = await world();
      const controller = new AbortController();
      let pagesSeen = 0;
      let lastRows = 0;
      const first = await run(w, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.rows > lastRows) pagesSeen += 1;
          lastRows = p.rows;
          // Abort right after a page was appended, before its task could move a cursor.
          if (pagesSeen === 30) controller.abort();
        },
      });
      expect(first.status).toBe('abandoned');
      expect(first.stats.rowsEmitted).toBeGreaterThan(0);
      expect(first.tasks.done).toBeLessThan(first.tasks.total);
      const events = await controlEvents(w, backend.log);
      const closing = events.at(-1)?.value;
      expect(closing?.type === 'RunFinished' && closing.payload.status).toBe('abandoned');

      const second = await run(w);
      expect(second.status).toBe('ok');

      const days = openDays(w);
      const duplicates = new Set<string>();
      for (const api of ['stock_basic', 'fut_basic', ...P0_DATED] as ApiName[]) {
        const raw = await rawRecords(w, backend.log, api);
        const tasks = planFetch({
          endpoints: [api],
          from,
          to,
          openDates: days,
          flags: DEFAULT_FLAGS,
          cursors: {},
        }).tasks;
        const want = new Set(
          tasks
            .flatMap((t) => expectedRows(w.market, api, { ...t.params }).map((row) => row))
            .map((row) => JSON.stringify(row)),
        );
        const count = new Map<string, { n: number; runs: Set<string>; group: string }>();
        for (const { value } of raw) {
          const { envelope, ...row } = value;
          const k = JSON.stringify(row);
          const entry = count.get(k) ?? { n: 0, runs: new Set(), group: `${api}|${row.trade_date ?? ''}` };
          entry.n += 1;
          entry.runs.add(envelope.run_id as string);
          count.set(k, entry);
        }
        // No day missed …
        expect(new Set(count.keys())).toEqual(want);
        // … and a row twice only where the interrupted run emitted it and the resumed run refetched it.
        for (const entry of count.values()) {
          expect(entry.n).toBeLessThanOrEqual(2);
          if (entry.n === 2) {
            expect(entry.runs).toEqual(new Set([first.runId, second.runId]));
            duplicates.add(entry.group);
          }
        }
      }
      expect(duplicates.size).toBeLessThanOrEqual(1);
    });

    if (!options.errorScenarios) return;

    it('stops an endpoint without permission, finishes the others, and reports partial', async () => {
      const w = await world({ faults: { sge_daily: { permissionDenied: true } } });
      const days = openDays(w);
      const result = await run(w);
      expect(result.status).toBe('partial');
      expect(result.failures).toHaveLength(1);
      expect(result.failures[0]).toMatchObject({ apiName: 'sge_daily', code: 'XASSET_TUSHARE_PERMISSION' });
      expect(result.tasks.notReached).toBe(days.length - 1);
      expect(result.error).toMatch(/^sge_daily: XASSET_TUSHARE_PERMISSION/);
      expect(result.stats.errorsByClass).toEqual({ XASSET_TUSHARE_PERMISSION: 1 });
      expect(w.sandbox.calls().sge_daily).toBe(1);
      const cursors = cursorValues(await loadCursors(backend.log, w.codec, w.topics.control));
      expect(cursors['fetch.sge_daily']).toBeUndefined();
      expect(cursors['fetch.daily']).toBe(days.at(-1));
      const events = await controlEvents(w, backend.log);
      const finished = events.at(-1)?.value;
      expect(finished?.type === 'RunFinished' && finished.payload).toMatchObject({
        status: 'partial',
        error: result.error,
      });
    });

    it('keeps going past a call that failed every attempt, but holds that endpoint cursor before it', async () => {
      const w = await world({ faults: { daily: { serverErrors: { first: 2 } } } });
      const days = openDays(w);
      const result = await run(w);
      expect(result.status).toBe('partial');
      expect(result.failures.map((f) => [f.apiName, f.params.trade_date, f.code])).toEqual([
        ['daily', days[0], 'XASSET_TUSHARE_TRANSIENT'],
      ]);
      expect(result.stats.errorsByClass).toEqual({ XASSET_TUSHARE_TRANSIENT: 2 });
      expect(result.stats.retries).toBe(1);
      expect(w.sandbox.calls().daily).toBe(days.length + 1);
      expect(result.holds).toContainEqual({ cursor: 'fetch.daily', value: days[0], reason: 'failed' });
      const cursors = cursorValues(await loadCursors(backend.log, w.codec, w.topics.control));
      expect(cursors['fetch.daily']).toBeUndefined();
      expect(cursors['fetch.fund_daily']).toBe(days.at(-1));
      // The next run picks the failed day up again, and the days after it (the processors dedupe).
      const retry = await run(w, { endpoints: ['daily'] });
      expect(retry.status).toBe('ok');
      expect(retry.tasks.total).toBe(days.length);
    });

    it('fails the run on a refused token and never lets the token into the log', async () => {
      const serverToken = randomBytes(16).toString('hex');
      const clientToken = randomBytes(16).toString('hex');
      const w = await world({ serverToken, clientToken });
      const result = await run(w);
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/^XASSET_TUSHARE_TOKEN: /);
      expect(result.tasks.total).toBe(0);
      const records = await readTopic(backend.log, w.topics.control);
      for (const r of records) {
        expect(r.value.toString('latin1')).not.toContain(clientToken);
        expect(r.value.toString('latin1')).not.toContain(serverToken);
      }
      const events = await controlEvents(w, backend.log);
      expect(JSON.stringify(events.map((e) => e.value))).not.toContain(clientToken);
      // Nothing but the run's own lifecycle: no cursor moved.
      expect(events[0]?.value.type).toBe('RunStarted');
      for (const e of events) expect(['RunStarted', 'RunHeartbeat', 'RunFinished']).toContain(e.value.type);
      const finished = events.at(-1)?.value;
      expect(finished?.type === 'RunFinished' && finished.payload.status).toBe('failed');
    });

    it('reports a recovery module as a non-blocking ModuleResult, on its own cursor', async () => {
      const w = await world();
      const flags: RolloutFlags = { ...DEFAULT_FLAGS, universeDailyBasicEnabled: true };
      const days = openDays(w);
      const result = await run(w, { endpoints: 'module', chain: 'universe_daily_basic', flags });
      expect(result.status).toBe('ok');
      expect(result.skipped.map((s) => s.apiName).sort()).toEqual(['index_daily', 'moneyflow']);
      const events = (await controlEvents(w, backend.log)).map((e) => e.value);
      const moduleResult = events.find((e) => e.type === 'ModuleResult');
      expect(moduleResult?.type === 'ModuleResult' && moduleResult.payload).toEqual({
        runId: result.runId,
        module: 'universe_daily_basic',
        status: 'ok',
        blocking: false,
        stats: result.stats,
        error: null,
      });
      expect(events.at(-1)?.type).toBe('RunFinished');
      const cursors = cursorValues(await loadCursors(backend.log, w.codec, w.topics.control));
      expect(cursors.universe_daily_basic_cursor_v1).toBe(days.at(-1));
      const raw = await rawRecords(w, backend.log, 'daily_basic');
      expect(raw.length).toBe(
        days.flatMap((d) => expectedRows(w.market, 'daily_basic', { trade_date: d })).length,
      );
    });
  });
}
