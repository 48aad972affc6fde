import type { EndpointSpec, FieldSpec } from '../../contracts/catalog/types.js';
import { NormalizeError } from '../../contracts/errors.js';
import { unitOf } from '../../contracts/normalized/units.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A column value as the sink binds it; dates are `YYYY-MM-DD` strings, jsonb columns plain objects. */
export type ColumnValue = string | number | boolean | null | Buffer | { [key: string]: JsonValue };

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Tushare's `YYYYMMDD` as ISO `YYYY-MM-DD`; undefined when it is not a real calendar date. */
export function isoDate(text: string): string | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [, y = '', m = '', d = ''] = match;
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) return undefined;
  const max = month === 2 && !isLeap(year) ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= max ? `${y}-${m}-${d}` : undefined;
}

/** The last day of a month, ISO. */
export function monthEnd(year: number, month: number): string {
  const day = month === 2 && !isLeap(year) ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * value × factor for a power-of-ten factor, done on the shortest decimal form of the value: 0.29
 * lots become exactly 29 shares, where a float multiply gives 28.999999999999996.
 */
export function scaleDecimal(value: number, factor: number): number {
  if (factor === 1 || value === 0) return value;
  const digits = Math.round(Math.log10(factor));
  if (10 ** digits !== factor) throw new RangeError(`factor ${factor} is not a power of ten`);
  const [mantissa = '', exponent = '0'] = value.toExponential().split('e');
  return Number(`${mantissa}e${Number(exponent) + digits}`);
}

/**
 * Reads one raw Tushare row by catalog field: checks the Avro-decoded type, parses dates, scales
 * numbers into base units (contracts/normalized/units.ts). Every failure is a NormalizeError naming
 * the field, so the dead letter says what was wrong.
 */
export class RawRow {
  readonly #spec: EndpointSpec;
  readonly #raw: Readonly<Record<string, unknown>>;
  readonly #fields: ReadonlyMap<string, FieldSpec>;

  constructor(
    spec: EndpointSpec,
    fields: ReadonlyMap<string, FieldSpec>,
    raw: Readonly<Record<string, unknown>>,
  ) {
    this.#spec = spec;
    this.#fields = fields;
    this.#raw = raw;
  }

  get apiName(): string {
    return this.#spec.apiName;
  }

  fail(reason: string, details: Record<string, unknown> = {}): never {
    throw new NormalizeError(this.#spec.apiName, reason, details);
  }

  #field(name: string): FieldSpec {
    const field = this.#fields.get(name);
    if (!field) throw new Error(`${this.#spec.apiName} has no catalog field ${name}`);
    return field;
  }

  #value(name: string): unknown {
    const value = this.#raw[name];
    return value === undefined ? null : value;
  }

  text(name: string): string | null {
    const value = this.#value(name);
    if (value === null) return null;
    if (typeof value !== 'string') this.fail(`field ${name} is not a string`, { field: name });
    // PostgreSQL text and jsonb cannot hold U+0000; letting it through would fail the whole batch
    // in the database on every retry instead of dead-lettering the one record.
    if (value.includes('\u0000')) this.fail(`field ${name} contains a NUL character`, { field: name });
    return value;
  }

  date(name: string): string | null {
    const value = this.text(name);
    if (value === null) return null;
    const iso = isoDate(value);
    if (iso === undefined)
      this.fail(`field ${name} is not a YYYYMMDD date: '${value.slice(0, 32)}'`, { field: name });
    return iso;
  }

  /** A number in base units: served value × the unit table's factor for this field. */
  number(name: string): number | null {
    const value = this.#value(name);
    if (value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(`field ${name} is not a finite number`, { field: name });
    }
    const scaled = scaleDecimal(value, unitOf(this.#spec.apiName, name)?.factor ?? 1);
    return scaled === 0 ? 0 : scaled; // -0 and 0 are one value
  }

  /**
   * A request param from the raw envelope (`freq`, …). Records written before the envelope carried
   * params have none: a normalizer that needs one fails the record rather than guess.
   */
  param(name: string): string {
    const envelope = this.#raw.envelope as { params?: unknown } | null | undefined;
    const params = envelope?.params;
    const value =
      params !== null && typeof params === 'object' ? (params as Record<string, unknown>)[name] : undefined;
    if (typeof value !== 'string' || value === '') {
      this.fail(
        `missing request param ${name}: the raw envelope does not record it (written before the envelope carried params?)`,
        { param: name },
      );
    }
    return value;
  }

  /**
   * A Tushare `YYYY-MM-DD HH:MM:SS` China-time field as its date (`YYYYMMDD`) and clock (`HH:MM:SS`).
   * China Standard Time is UTC+8 all year.
   */
  chinaTime(name: string): { ymd: string; clock: string } | null {
    const value = this.text(name);
    if (value === null) return null;
    const match = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
    const ymd = match ? `${match[1]}${match[2]}${match[3]}` : '';
    if (!match || isoDate(ymd) === undefined || Number(match[4]) > 23 || Number(match[5]) > 59) {
      this.fail(`field ${name} is not a YYYY-MM-DD HH:MM:SS time: '${value.slice(0, 32)}'`, { field: name });
    }
    return { ymd, clock: `${match[4]}:${match[5]}:${match[6] ?? '00'}` };
  }

  /** Any field read by its catalog type, as a JSON value (for jsonb attributes). */
  json(name: string): JsonValue {
    switch (this.#field(name).type) {
      case 'date':
        return this.date(name);
      case 'float':
      case 'int':
        return this.number(name);
      default:
        return this.text(name);
    }
  }
}
