import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { topicSchemas } from '../../../contracts/avro/schemas.js';
import {
  MARKET_ASSETS,
  marketBarSchema,
  marketKey,
  marketTopic,
} from '../../../contracts/normalized/market.js';
import { columnsOf, extensionOf, TABLES } from '../../../contracts/normalized/tables.js';
import { topicDefinitions } from '../../../contracts/topics.js';

describe('normalized market topics', () => {
  it('exist for the six market asset classes, compacted, keyed like market_bar', () => {
    const defined = new Map(topicDefinitions().map((t) => [t.name, t]));
    for (const asset of MARKET_ASSETS) {
      expect(defined.get(marketTopic(asset))?.configs).toEqual({ 'cleanup.policy': 'compact' });
    }
    expect(MARKET_ASSETS.map(marketTopic)).toEqual([
      'market.stock.v1',
      'market.etf.v1',
      'market.index.v1',
      'market.futures.v1',
      'market.spot.v1',
      'market.fx.v1',
    ]);
    expect(marketKey('stock', '000001.SZ', '2024-01-02')).toBe('stock|000001.SZ|2024-01-02');
  });

  it('carry market_bar columns, the asset extension columns, the hash, revision flag and source', () => {
    for (const asset of MARKET_ASSETS) {
      const schema = marketBarSchema(asset);
      const ext = extensionOf(asset);
      const extColumns = (ext?.values ?? []).map((c) => c.name);
      expect(schema.fields.map((f) => f.name)).toEqual([
        ...columnsOf('market_bar').map((c) => c.name),
        ...extColumns,
        'content_hash',
        'revision',
        'source_topic',
        'source_partition',
        'source_offset',
      ]);
      expect(topicSchemas().find((s) => s.topic === marketTopic(asset))?.schema).toEqual(schema);
    }
    expect(extensionOf('futures')?.name).toBe('futures_bar_ext');
    expect(extensionOf('stock')).toBeUndefined();
  });

  it('say the units of vol and amount in the schema docs', () => {
    const vol = (asset: (typeof MARKET_ASSETS)[number]) =>
      marketBarSchema(asset).fields.find((f) => f.name === 'vol')?.doc;
    expect(vol('stock')).toMatch(/^shares \(served as lots \(1 lot = 100 shares\), × 100\)$/);
    expect(vol('etf')).toMatch(/^fund units/);
    expect(vol('futures')).toMatch(/^contracts/);
    expect(vol('spot')).toMatch(/^kg, both sides/);
    expect(vol('fx')).toMatch(/not served for FX/);
    expect(marketBarSchema('futures').fields.find((f) => f.name === 'amount')?.doc).toMatch(/× 10000/);
  });

  it('round-trip a record through avsc', () => {
    const type = avro.Type.forSchema(marketBarSchema('futures') as avro.Schema);
    const record: Record<string, unknown> = {
      asset_class: 'futures',
      ts_code: 'CU2401.SHF',
      trade_date: '2024-01-02',
      content_hash: 'ab'.repeat(32),
      revision: true,
      source_topic: 'tushare.raw.fut_daily',
      source_partition: 3,
      source_offset: 2 ** 40,
    };
    for (const c of [...TABLES.market_bar.values, ...(extensionOf('futures')?.values ?? [])])
      record[c.name] = 1.5;
    expect(type.fromBuffer(type.toBuffer(record))).toEqual(record);
  });
});
