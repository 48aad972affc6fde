import { endpoint, isApiName } from '../../contracts/catalog/index.js';
import { NormalizeError } from '../../contracts/errors.js';
import { BAR_APIS, barNormalizer } from './bars.js';
import { INTRADAY_APIS, intradayNormalizer } from './intraday.js';
import { MACRO_APIS, macroNormalizer } from './macro.js';
import { fieldMap } from './plan.js';
import { calendarNormalizer, INSTRUMENT_APIS, instrumentNormalizer } from './reference.js';
import { SERIES_APIS, seriesNormalizer } from './series.js';
import type { EndpointNormalizer, TableRow } from './types.js';
import { RawRow } from './values.js';

export type { TableRow } from './types.js';
export type { ColumnValue, JsonValue } from './values.js';

export type NormalizeResult = { ok: true; rows: TableRow[] } | { ok: false; error: NormalizeError };

/** Every endpoint with a normalizer, built (and checked against the catalog) once at load. */
const NORMALIZERS: ReadonlyMap<string, EndpointNormalizer> = new Map<string, EndpointNormalizer>([
  ...BAR_APIS.map((api) => [api, barNormalizer(api)] as const),
  ...INSTRUMENT_APIS.map((api) => [api, instrumentNormalizer(api)] as const),
  ['trade_cal', calendarNormalizer()],
  ...SERIES_APIS.map((api) => [api, seriesNormalizer(api)] as const),
  ...MACRO_APIS.map((api) => [api, macroNormalizer(api)] as const),
  ...INTRADAY_APIS.map((api) => [api, intradayNormalizer(api)] as const),
]);

const FIELDS = new Map([...NORMALIZERS.keys()].map((api) => [api, fieldMap(endpoint(api))]));

/** api_names the processors can turn into rows. */
export const NORMALIZED_API_NAMES: readonly string[] = [...NORMALIZERS.keys()];

export function canNormalize(apiName: string): boolean {
  return NORMALIZERS.has(apiName);
}

/**
 * One decoded raw record (envelope + catalog fields, as the raw Avro schema reads) → table rows,
 * or the reason it is poison. Pure: no I/O, same input → same rows and hashes.
 */
export function normalize(apiName: string, raw: unknown): NormalizeResult {
  const run = NORMALIZERS.get(apiName);
  const fields = FIELDS.get(apiName);
  if (!run || !fields || !isApiName(apiName)) {
    return { ok: false, error: new NormalizeError(apiName, 'no normalizer for this endpoint') };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: new NormalizeError(apiName, 'the record is not an object') };
  }
  const record = raw as Record<string, unknown>;
  const envelope = record.envelope as { api_name?: unknown } | null | undefined;
  if (envelope && typeof envelope === 'object' && envelope.api_name !== apiName) {
    return {
      ok: false,
      error: new NormalizeError(
        apiName,
        `the envelope names another endpoint: '${String(envelope.api_name)}'`,
      ),
    };
  }
  try {
    return { ok: true, rows: run(new RawRow(endpoint(apiName), fields, record)) };
  } catch (err) {
    if (err instanceof NormalizeError) return { ok: false, error: err };
    throw err;
  }
}
