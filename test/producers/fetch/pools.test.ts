import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../contracts/config.js';
import { ConfigError } from '../../../contracts/errors.js';
import {
  configuredPools,
  fxPool,
  indexPool,
  minutePools,
  type PoolCandidate,
  resolvePool,
  shardCursorName,
} from '../../../producers/fetch/pools.js';

const fx = (code: string): PoolCandidate => ({ tsCode: code, market: 'FXCM', delistDate: null });
const index = (code: string, market: string, delistDate: string | null = null): PoolCandidate => ({
  tsCode: code,
  market,
  delistDate,
});
const TODAY = '20260114';
const INDEXES = [
  index('000300.SH', 'SSE'),
  index('000001.SH', 'SSE'),
  index('399001.SZ', 'SZSE'),
  index('399006.SZ', 'SZSE'),
  index('801010.SI', 'SW'),
  index('000999.SH', 'SSE', '20250101'),
  index('000905.SH', 'SSE'),
];

describe('FX pool', () => {
  it('is the configured whitelist, every pair of which fx_obasic serves', () => {
    const pool = resolvePool(
      fxPool(['USDJPY.FXCM', 'EURUSD.FXCM']),
      [fx('EURUSD.FXCM'), fx('USDJPY.FXCM'), fx('XAUUSD.FXCM')],
      {
        today: TODAY,
        cursors: {},
      },
    );
    expect(pool).toEqual({
      apiName: 'fx_daily',
      members: ['EURUSD.FXCM', 'USDJPY.FXCM'],
      codes: ['EURUSD.FXCM', 'USDJPY.FXCM'],
      backfill: [],
    });
  });

  it('names a configured pair fx_obasic does not serve as a config error', () => {
    const resolve = () =>
      resolvePool(fxPool(['EURUSD.FXCM', 'USDXYZ.FXCM']), [fx('EURUSD.FXCM')], { today: TODAY, cursors: {} });
    expect(resolve).toThrow(ConfigError);
    expect(resolve).toThrow(/USDXYZ\.FXCM/);
    try {
      resolve();
    } catch (err) {
      expect((err as ConfigError).issues[0]?.path).toContain('XASSET_FX_PAIRS');
    }
  });

  it('is empty, not an error, while no reference data is stored yet', () => {
    expect(resolvePool(fxPool(['EURUSD.FXCM']), [], { today: TODAY, cursors: {} }).codes).toEqual([]);
  });
});

describe('index pool and its shards', () => {
  const definition = indexPool({ markets: ['SSE', 'SZSE'], shardSize: 2 });

  it('takes the live indexes of the configured markets, in code order, one shard at a time', () => {
    const first = resolvePool(definition, INDEXES, { today: TODAY, cursors: {} });
    expect(first.members).toEqual(['000001.SH', '000300.SH', '000905.SH', '399001.SZ', '399006.SZ']);
    expect(first.codes).toEqual(['000001.SH', '000300.SH']);
    expect(first.backfill).toEqual(['000001.SH', '000300.SH']);
    expect(first.shardMove).toEqual({
      cursor: 'universe_index_daily_cursor_v1.shard',
      value: '000300.SH',
      previous: null,
    });
  });

  it('covers the shards done so far plus the next one after the shard cursor', () => {
    const cursors = { [shardCursorName('index_daily')]: '000300.SH' };
    const second = resolvePool(definition, INDEXES, { today: TODAY, cursors });
    expect(second.codes).toEqual(['000001.SH', '000300.SH', '000905.SH', '399001.SZ']);
    expect(second.backfill).toEqual(['000905.SH', '399001.SZ']);
    const last = resolvePool(definition, INDEXES, {
      today: TODAY,
      cursors: { [shardCursorName('index_daily')]: '399001.SZ' },
    });
    expect(last.backfill).toEqual(['399006.SZ']);
    const done = resolvePool(definition, INDEXES, {
      today: TODAY,
      cursors: { [shardCursorName('index_daily')]: '399006.SZ' },
    });
    expect(done.codes).toHaveLength(5);
    expect(done.backfill).toEqual([]);
    expect(done.shardMove).toBeUndefined();
  });

  it('takes an explicit list instead of markets, and names a code index_basic lacks', () => {
    const explicit = indexPool({ markets: ['SSE'], codes: ['801010.SI', '000001.SH'], shardSize: 10 });
    expect(resolvePool(explicit, INDEXES, { today: TODAY, cursors: {} }).codes).toEqual([
      '000001.SH',
      '801010.SI',
    ]);
    const unknown = indexPool({ markets: ['SSE'], codes: ['999999.SH'], shardSize: 10 });
    expect(() => resolvePool(unknown, INDEXES, { today: TODAY, cursors: {} })).toThrow(/999999\.SH/);
  });
});

describe('minute pools', () => {
  const futures = minutePools(loadConfig({}).universe).find((p) => p.apiName === 'ft_mins');
  const contract = (tsCode: string, listDate: string | null, delistDate: string | null): PoolCandidate => ({
    tsCode,
    market: 'SHFE',
    listDate,
    delistDate,
  });

  it('take the contracts listed on today: not one fut_basic lists ahead of its first trading day', () => {
    if (futures === undefined) throw new Error('an ft_mins pool expected');
    const candidates = [
      contract('CU2602.SHF', '20250115', '20260216'),
      contract('CU2603.SHF', '20250215', '20260316'),
      // Listed today, listed tomorrow, expired yesterday, no dates at all.
      contract('CU2701.SHF', TODAY, '20270115'),
      contract('CU2702.SHF', '20260115', '20270215'),
      contract('CU2601.SHF', '20250115', '20260113'),
      contract('AU2606.SHF', null, null),
    ];
    expect(resolvePool(futures, candidates, { today: TODAY, cursors: {} }).codes).toEqual([
      'AU2606.SHF',
      'CU2602.SHF',
      'CU2603.SHF',
      'CU2701.SHF',
    ]);
  });
});

describe('configuredPools', () => {
  it('reads the whitelist, markets and shard size from the config', () => {
    const cfg = loadConfig({
      XASSET_FX_PAIRS: 'EURUSD.FXCM',
      XASSET_INDEX_MARKETS: 'SZSE',
      XASSET_INDEX_SHARD_SIZE: '1',
    });
    const [fxDefinition, indexDefinition] = configuredPools(cfg.universe);
    if (fxDefinition === undefined || indexDefinition === undefined) throw new Error('two pools expected');
    expect(
      resolvePool(fxDefinition, [fx('EURUSD.FXCM'), fx('USDJPY.FXCM')], { today: TODAY, cursors: {} }).codes,
    ).toEqual(['EURUSD.FXCM']);
    expect(resolvePool(indexDefinition, INDEXES, { today: TODAY, cursors: {} }).codes).toEqual(['399001.SZ']);
  });

  it('refuses a malformed list with the variable named', () => {
    expect(() => loadConfig({ XASSET_FX_PAIRS: 'eur usd' })).toThrow(/XASSET_FX_PAIRS/);
  });
});
