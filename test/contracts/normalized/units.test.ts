import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { endpoint } from '../../../contracts/catalog/index.js';
import { renderUnitTable, UNIT_CONVERSIONS, unitOf } from '../../../contracts/normalized/units.js';
import { NORMALIZED_API_NAMES } from '../../../processors/normalize/index.js';

/** Catalog doc wording that names a scaled or countable unit ("CNY per gram" prices and "per lot" sizes are not). */
const UNIT_WORDS = /\b(lots|thousand|hundred million|kilograms|shares)\b|\bCNY(?! per)/;

describe('the unit table', () => {
  it('documents each unit as the catalog field doc states it', () => {
    for (const u of UNIT_CONVERSIONS) {
      const field = endpoint(u.apiName).fields.find((f) => f.name === u.field);
      expect(field, `${u.apiName}.${u.field}`).toBeDefined();
      expect(field?.doc ?? '', `${u.apiName}.${u.field}`).toContain(u.source);
      expect(['float', 'int']).toContain(field?.type);
    }
  });

  it('covers every field of a normalized endpoint whose doc names a unit', () => {
    const missing = NORMALIZED_API_NAMES.flatMap((api) =>
      endpoint(api)
        .fields.filter((f) => UNIT_WORDS.test(f.doc ?? '') && !unitOf(api, f.name))
        .map((f) => `${api}.${f.name} (${f.doc})`),
    );
    expect(missing).toEqual([]);
  });

  it('has one entry per field, and only power-of-ten factors matching the unit words', () => {
    const ids = UNIT_CONVERSIONS.map((u) => `${u.apiName}.${u.field}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const u of UNIT_CONVERSIONS) {
      expect(Number.isInteger(Math.log10(u.factor)), `${u.apiName}.${u.field}`).toBe(true);
      const expected = u.source.startsWith('hundred million')
        ? 1e8
        : u.source.startsWith('ten thousand')
          ? 1e4
          : u.source.startsWith('thousand')
            ? 1e3
            : /\b100\b/.test(u.source) || (u.source === 'lots' && u.base === 'shares')
              ? 100
              : 1;
      expect(u.factor, `${u.apiName}.${u.field}`).toBe(expected);
    }
  });

  it('is the table processors/README.md shows (cell padding aside)', async () => {
    const readme = await readFile(new URL('../../../processors/README.md', import.meta.url), 'utf8');
    const cells = (text: string) =>
      text
        .split('\n')
        .filter((line) => line.startsWith('|'))
        .map((line) =>
          line
            .split('|')
            .map((cell) => cell.trim().replace(/^-+$/, '---'))
            .join('|'),
        )
        .join('\n');
    expect(cells(readme)).toContain(cells(renderUnitTable()));
    expect(
      renderUnitTable()
        .split('\n')
        .filter((l) => l.startsWith('| `')).length,
    ).toBeGreaterThan(15);
  });
});
