import { endpoint } from '../../../contracts/catalog/index.js';
import type { TushareType } from '../../../contracts/catalog/types.js';
import type { WireRow } from '../dataset.js';

/** Values for one row, keyed by catalog field name; a key set to null is a deliberate null. */
export type Values = Record<string, string | number | null | undefined>;

/**
 * Turns generated values into a wire row with exactly the catalog's columns, in catalog order,
 * under Tushare's column names. A field the generator has no value for is served as null and noted
 * in `fieldsWithoutGenerator`, so a field added to the catalog later is served at once and a test
 * catches it.
 */
export class RowShape {
  readonly #fields: readonly { name: string; wire: string; type: TushareType }[];
  readonly #apiName: string;

  constructor(apiName: string) {
    this.#apiName = apiName;
    this.#fields = endpoint(apiName).fields.map((f) => ({
      name: f.name,
      wire: f.tushareName ?? f.name,
      type: f.type,
    }));
  }

  /** Catalog fields with their types: generators that derive values from names walk these. */
  get fields(): readonly { name: string; wire: string; type: TushareType }[] {
    return this.#fields;
  }

  build(values: Values): WireRow {
    const row: WireRow = {};
    for (const f of this.#fields) {
      const v = values[f.name];
      if (v === undefined) {
        missing.add(`${this.#apiName}.${f.name}`);
        row[f.wire] = null;
      } else {
        row[f.wire] = v;
      }
    }
    return row;
  }
}

const missing = new Set<string>();

/** `api_name.field` pairs served as null because no generator knows them (empty for the current catalog). */
export function fieldsWithoutGenerator(): readonly string[] {
  return [...missing].sort();
}

const shapes = new Map<string, RowShape>();

export function shapeOf(apiName: string): RowShape {
  let shape = shapes.get(apiName);
  if (shape === undefined) {
    shape = new RowShape(apiName);
    shapes.set(apiName, shape);
  }
  return shape;
}

/** Rounds to a number of decimals (half away from zero), returning a float that prints cleanly. */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  const scaled = Math.abs(value) * f;
  // The epsilon absorbs binary representation error (1.005 × 100 = 100.49999…).
  const r = Math.floor(scaled + 0.5 + 1e-9) / f;
  return value < 0 ? -r : r;
}

/** A price held as integer ticks of 1/scale, as the float Tushare prints. */
export function price(ticks: number, scale: number): number {
  return round(ticks / scale, Math.round(Math.log10(scale)));
}

/** Percent change from `pre` to `cur` (integers of the same unit), rounded to `decimals`. */
export function pct(cur: number, pre: number, decimals = 2): number {
  return pre === 0 ? 0 : round(((cur - pre) * 100) / pre, decimals);
}
