import { describe, expect, it } from 'vitest';
import { columnsOf, TABLES, type TableName } from '../../../contracts/normalized/tables.js';

describe('table specs', () => {
  it('never allow null in a key column, and name every column once', () => {
    for (const table of Object.keys(TABLES) as TableName[]) {
      expect(TABLES[table].name).toBe(table);
      for (const c of TABLES[table].key) expect(c.nullable, `${table}.${c.name}`).toBe(false);
      const names = columnsOf(table).map((c) => c.name);
      expect(new Set(names).size, table).toBe(names.length);
    }
  });

  it('key every extension table like market_bar without asset_class, and give it no hash of its own', () => {
    const parentKey = TABLES.market_bar.key.map((c) => c.name).filter((n) => n !== 'asset_class');
    const extensions = Object.values(TABLES).filter((t) => t.extends);
    expect(extensions.map((t) => t.extends?.assetClass).sort()).toEqual(['futures', 'fx', 'spot']);
    for (const ext of extensions) {
      expect(ext.key.map((c) => c.name)).toEqual(parentKey);
      expect(ext.hashed).toBe(false);
    }
  });
});
