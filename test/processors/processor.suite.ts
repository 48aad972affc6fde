import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawTopic } from '../../contracts/catalog/index.js';
import { EventLogError, ValidationError } from '../../contracts/errors.js';
import { type DeadLetter, DLQ_TOPIC } from '../../contracts/events/dead-letter.js';
import { marketTopic } from '../../contracts/normalized/market.js';
import type { SchemaCodec } from '../../infra/codec/schema-codec.js';
import type { EventLog, LogRecord } from '../../infra/log/event-log.js';
import { type ProcessStats, runProcessor } from '../../processors/processor.js';
import { uniqueName } from '../harness/services.js';
import { dailyFields, dayOf, futFields, fxFields, rawRecord, sgeFields } from './raw-fixtures.js';

export interface ProcessorBackend {
  pool: pg.Pool;
  log: EventLog;
  codec: SchemaCodec;
  /** Prefix of every topic (isolates runs on a shared Kafka); '' for an isolated embedded log. */
  prefix: string;
  /** Moves the log group's committed offsets, as a crash before the log commit leaves them. */
  setGroupOffsets(
    group: string,
    topic: string,
    offsets: { partition: number; offset: number }[],
  ): Promise<void>;
  close(): Promise<void>;
}

export const PROCESSED_APIS = [
  'daily',
  'fut_daily',
  'fx_daily',
  'sge_daily',
  'trade_cal',
  'stock_basic',
] as const;

/** Everything a processor run needs to be checked, the same on every backend. */
export function processorSuite(name: string, open: () => Promise<ProcessorBackend>): void {
  describe(`runProcessor: ${name}`, () => {
    let b: ProcessorBackend;
    let consumer: string;
    const topic = (api: string) => `${b.prefix}${rawTopic(api)}`;
    const topics = () => PROCESSED_APIS.map(topic);

    async function append(api: string, rows: Record<string, unknown>[]): Promise<number[]> {
      const outgoing = await Promise.all(
        rows.map(async (fields) => ({
          key: `${api}|${String(fields.ts_code ?? fields.exchange)}|${String(fields.trade_date ?? fields.cal_date)}`,
          value: await b.codec.encode(topic(api), rawRecord(api, fields)),
        })),
      );
      return (await b.log.append(topic(api), outgoing)).map((a) => a.offset);
    }

    const run = (batchSize = 64): Promise<ProcessStats> =>
      runProcessor({
        log: b.log,
        codec: b.codec,
        pool: b.pool,
        consumer,
        topics: topics(),
        batchSize,
        until: 'caught-up',
        topicPrefix: b.prefix,
      });

    async function readAll(name: string): Promise<LogRecord[]> {
      const out: LogRecord[] = [];
      for (const [partition, end] of await b.log.endOffsets(name)) {
        if (end > 0) out.push(...(await b.log.read(name, partition, 0)));
      }
      return out;
    }

    async function storedOffsets(): Promise<Map<string, number>> {
      const { rows } = await b.pool.query<{ topic: string; partition: number; next_offset: number }>(
        'SELECT topic, partition, next_offset FROM consumer_offset WHERE consumer = $1',
        [consumer],
      );
      return new Map(rows.map((r) => [`${r.topic}/${r.partition}`, Number(r.next_offset)]));
    }

    async function endOffsets(): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      for (const t of topics()) {
        for (const [partition, end] of await b.log.endOffsets(t))
          if (end > 0) out.set(`${t}/${partition}`, end);
      }
      return out;
    }

    beforeAll(async () => {
      b = await open();
      consumer = uniqueName('proc');
    });
    afterAll(async () => {
      await b?.close();
    });

    const STOCKS = 30;
    const DAYS = 4;
    const stockRows = () =>
      Array.from({ length: STOCKS * DAYS }, (_, i) => dailyFields(i % STOCKS, Math.floor(i / STOCKS)));
    const futRows = () => Array.from({ length: 20 }, (_, i) => futFields(i % 5, Math.floor(i / 5)));

    it('writes every asset class, dead-letters poison with stage and reason, and stores the end offsets', async () => {
      await append('daily', stockRows());
      await append('fut_daily', futRows());
      await append(
        'fx_daily',
        [0, 1, 2, 3, 4, 5].map((i) => fxFields(i % 3, Math.floor(i / 3))),
      );
      await append(
        'sge_daily',
        [0, 1, 2, 3, 4, 5].map((i) => sgeFields(i % 3, Math.floor(i / 3))),
      );
      await append(
        'trade_cal',
        Array.from({ length: 10 }, (_, d) => ({
          exchange: 'SSE',
          cal_date: dayOf(d),
          is_open: d % 7 < 5 ? '1' : '0',
          pretrade_date: d === 0 ? null : dayOf(d - 1),
        })),
      );
      await append(
        'stock_basic',
        [0, 1, 2].map((s) => ({
          ts_code: `${600000 + s}.SH`,
          name: `Stock ${s}`,
          industry: 'Banks',
          exchange: 'SSE',
          list_date: '19991110',
        })),
      );
      // Poison: an impossible date, a missing key field, and bytes that are not Avro at all.
      await append('daily', [
        { ...dailyFields(0, 9), trade_date: '20240230' },
        { ...dailyFields(1, 9), ts_code: null },
      ]);
      const garbage = await b.log.append(topic('daily'), [
        { key: 'daily|garbage', value: Buffer.from('not avro') },
      ]);

      const stats = await run();
      const bars = STOCKS * DAYS + 20 + 6 + 6;
      expect(stats.inserted).toBe(bars + 10 + 3);
      expect(stats.revisions).toBe(0);
      expect(stats.duplicates).toBe(0);
      expect(stats.records).toBe(bars + 10 + 3 + 3);
      expect(stats.rowsWritten).toMatchObject({
        market_bar: bars,
        futures_bar_ext: 20,
        fx_bar_ext: 6,
        spot_sge_bar_ext: 6,
        trade_calendar: 10,
        instrument: 3,
      });
      expect(stats.published).toBe(bars);
      expect(stats.deadLettered).toEqual({
        total: 3,
        byStage: { normalize: 2, decode: 1 },
        byCode: { XASSET_NORMALIZE_FAILED: 2, XASSET_DECODE_FAILED: 1 },
      });
      expect(stats.lagAtEnd).toBe(0);
      expect(await storedOffsets()).toEqual(await endOffsets());

      const { rows: perAsset } = await b.pool.query<{ asset_class: string; n: number }>(
        'SELECT asset_class, count(*)::int AS n FROM market_bar GROUP BY 1 ORDER BY 1',
      );
      expect(perAsset).toEqual([
        { asset_class: 'futures', n: 20 },
        { asset_class: 'fx', n: 6 },
        { asset_class: 'spot', n: 6 },
        { asset_class: 'stock', n: STOCKS * DAYS },
      ]);
      // Base units: lots of 100 shares → shares, thousand CNY → CNY; ten thousand CNY → CNY for futures.
      const sample = dailyFields(3, 2);
      const { rows: stock } = await b.pool.query(
        `SELECT trade_date::text AS d, close, vol, amount, source_topic FROM market_bar
         WHERE asset_class = 'stock' AND ts_code = $1 AND trade_date = $2`,
        [
          sample.ts_code,
          `${String(sample.trade_date).slice(0, 4)}-${String(sample.trade_date).slice(4, 6)}-${String(sample.trade_date).slice(6)}`,
        ],
      );
      expect(stock[0]).toEqual({
        d: '2024-01-03',
        close: sample.close,
        vol: (1234.5 + 3) * 100,
        amount: (98765.432 + 2) * 1000,
        source_topic: topic('daily'),
      });
      const { rows: fut } = await b.pool.query(
        `SELECT b.amount, e.settle, e.oi FROM market_bar b JOIN futures_bar_ext e USING (ts_code, trade_date)
         WHERE b.asset_class = 'futures' AND ts_code = 'CU2400.SHF' AND trade_date = '2024-01-01'`,
      );
      expect(fut).toEqual([{ amount: 523_456_700, settle: 70250, oi: 80000 }]);
      const { rows: fx } = await b.pool.query(
        `SELECT b.close, e.bid_close, e.ask_close FROM market_bar b JOIN fx_bar_ext e USING (ts_code, trade_date)
         WHERE b.asset_class = 'fx' AND ts_code = 'USDCNH.FXCM' AND trade_date = '2024-01-01'`,
      );
      expect(fx[0]?.close).toBeCloseTo((7.12 + 7.13) / 2, 12);
      const { rows: cal } = await b.pool.query(
        "SELECT count(*) FILTER (WHERE is_open)::int AS open, count(*)::int AS n FROM trade_calendar WHERE exchange = 'SSE'",
      );
      expect(cal).toEqual([{ open: 8, n: 10 }]);
      const { rows: instruments } = await b.pool.query(
        "SELECT name, exchange, list_date::text AS list_date, attributes FROM instrument WHERE ts_code = '600001.SH'",
      );
      expect(instruments).toEqual([
        { name: 'Stock 1', exchange: 'SSE', list_date: '1999-11-10', attributes: { industry: 'Banks' } },
      ]);

      const letters = await Promise.all(
        (await readAll(b.prefix + DLQ_TOPIC)).map(
          async (r) => (await b.codec.decode(b.prefix + DLQ_TOPIC, r.value)) as DeadLetter,
        ),
      );
      expect(letters.map((l) => [l.stage, l.errorCode]).sort()).toEqual([
        ['decode', 'XASSET_DECODE_FAILED'],
        ['normalize', 'XASSET_NORMALIZE_FAILED'],
        ['normalize', 'XASSET_NORMALIZE_FAILED'],
      ]);
      expect(letters.map((l) => l.reason).join('\n')).toMatch(
        /trade_date is not a YYYYMMDD date: '20240230'/,
      );
      expect(letters.map((l) => l.reason).join('\n')).toMatch(/missing ts_code/);
      const decodeLetter = letters.find((l) => l.stage === 'decode');
      expect(decodeLetter).toMatchObject({
        sourceTopic: topic('daily'),
        sourceOffset: garbage[0]?.offset,
        key: 'daily|garbage',
        payloadBase64: Buffer.from('not avro').toString('base64'),
      });

      const published = await readAll(b.prefix + marketTopic('stock'));
      expect(published).toHaveLength(STOCKS * DAYS);
      const first = (await b.codec.decode(
        b.prefix + marketTopic('stock'),
        (published[0] as LogRecord).value,
      )) as Record<string, unknown>;
      expect(first).toMatchObject({ asset_class: 'stock', revision: false, source_topic: topic('daily') });
      expect(first.content_hash).toMatch(/^[0-9a-f]{64}$/);
      expect((published[0] as LogRecord).key).toBe(`stock|${first.ts_code}|${first.trade_date}`);
    });

    it('counts an identical re-append as duplicates and writes and publishes nothing', async () => {
      const before = await b.pool.query(
        'SELECT ts_code, trade_date, source_offset, content_hash FROM market_bar ORDER BY 1, 2',
      );
      await append('daily', stockRows());
      await append('fut_daily', futRows());
      const stats = await run(500);
      expect(stats).toMatchObject({
        inserted: 0,
        revisions: 0,
        duplicates: STOCKS * DAYS + 20,
        published: 0,
      });
      expect(stats.rowsWritten.futures_bar_ext ?? 0).toBe(0);
      const after = await b.pool.query(
        'SELECT ts_code, trade_date, source_offset, content_hash FROM market_bar ORDER BY 1, 2',
      );
      expect(after.rows).toEqual(before.rows);
      expect(await storedOffsets()).toEqual(await endOffsets());
    });

    it('counts one changed row as one revision and publishes it as a revision', async () => {
      const [offset] = await append('daily', [dailyFields(5, 1, 0.42)]);
      const stats = await run();
      expect(stats).toMatchObject({ inserted: 0, revisions: 1, duplicates: 0, published: 1, records: 1 });
      const expected = dailyFields(5, 1, 0.42);
      const { rows } = await b.pool.query(
        "SELECT close, source_offset FROM market_bar WHERE asset_class = 'stock' AND ts_code = $1 AND trade_date = '2024-01-02'",
        [expected.ts_code],
      );
      expect(rows).toEqual([{ close: expected.close, source_offset: offset }]);
      const published = await readAll(b.prefix + marketTopic('stock'));
      const revisions = await Promise.all(
        published.map(
          async (r) =>
            (await b.codec.decode(b.prefix + marketTopic('stock'), r.value)) as Record<string, unknown>,
        ),
      );
      expect(revisions.filter((r) => r.revision === true)).toEqual([
        expect.objectContaining({ ts_code: expected.ts_code, close: expected.close, source_offset: offset }),
      ]);
    });

    it('skips records the database already holds when the log redelivers them', async () => {
      const before = await b.pool.query(
        'SELECT ts_code, trade_date, source_offset, updated_at FROM market_bar ORDER BY 1, 2',
      );
      const daily = topic('daily');
      const rewound = [...(await b.log.endOffsets(daily))].filter(([, end]) => end > 0);
      await b.setGroupOffsets(
        consumer,
        daily,
        rewound.map(([partition]) => ({ partition, offset: 0 })),
      );
      await append('daily', [dailyFields(STOCKS, 0)]);
      const stats = await run();
      expect(stats).toMatchObject({ records: 1, inserted: 1, revisions: 0, duplicates: 0 });
      expect(stats.skipped).toBeGreaterThan(0);
      const after = await b.pool.query(
        'SELECT ts_code, trade_date, source_offset, updated_at FROM market_bar ORDER BY 1, 2',
      );
      expect(after.rows.filter((r) => r.ts_code !== dailyFields(STOCKS, 0).ts_code)).toEqual(before.rows);
      expect(await storedOffsets()).toEqual(await endOffsets());
    });

    it('refuses topics it has no normalizer for, before reading anything', async () => {
      const bad = [
        `${b.prefix}tushare.raw.no_such_api`,
        `${b.prefix}xasset.control.v1`,
        'tushare.raw.daily.extra',
      ];
      const error = await runProcessor({
        log: b.log,
        codec: b.codec,
        pool: b.pool,
        consumer,
        topics: bad,
        batchSize: 10,
        until: 'caught-up',
        topicPrefix: b.prefix,
      }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual(bad);
    });

    it('refuses to start when the log group is ahead of the database', async () => {
      const daily = topic('daily');
      const [partition, end] = [...(await b.log.endOffsets(daily))].find(([, e]) => e > 0) ?? [0, 0];
      await b.pool.query(
        'UPDATE consumer_offset SET next_offset = 0 WHERE consumer = $1 AND topic = $2 AND partition = $3',
        [consumer, daily, partition],
      );
      await b.setGroupOffsets(consumer, daily, [{ partition, offset: end }]);
      await expect(run()).rejects.toBeInstanceOf(EventLogError);
      await b.pool.query(
        'UPDATE consumer_offset SET next_offset = $4 WHERE consumer = $1 AND topic = $2 AND partition = $3',
        [consumer, daily, partition, end],
      );
    });
  });
}
