import type { EndpointSpec, FieldSpec } from '../../contracts/catalog/index.js';
import { TushareBadResponseError } from '../../contracts/errors.js';
import type { OutgoingRecord } from '../../infra/log/event-log.js';
import type { TusharePage, TushareRow } from '../tushare/source.js';

const keyPart = (value: TushareRow[string] | undefined): string =>
  value === null || value === undefined ? '' : String(value);

/**
 * The raw event key (DESIGN §4): `<api_name>|<other natural-key parts>|<time field>`, e.g.
 * `daily|000001.SZ|20260105`, `trade_cal|SSE|20260105`, `stock_basic|000001.SZ`. Built from the
 * catalog's natural key, so two fetches of the same row share a key (and a partition, in order).
 */
export function rawKey(spec: EndpointSpec, row: TushareRow): string {
  const time =
    spec.timeField !== undefined && spec.naturalKey.includes(spec.timeField) ? spec.timeField : null;
  const parts = [spec.apiName];
  for (const name of spec.naturalKey) if (name !== time) parts.push(keyPart(row[name]));
  if (time !== null) parts.push(keyPart(row[time]));
  return parts.join('|');
}

export interface RawContext {
  runId: string;
  fetchedAt: number;
}

/**
 * Raw means as served, but it must fit the Avro type the catalog gives the column. Only lossless
 * conversions are made (a number served for a string column, a numeric string for a number); a
 * value that cannot be carried is a protocol break, reported with its place.
 */
function rawValue(
  spec: EndpointSpec,
  field: FieldSpec,
  value: TushareRow[string] | undefined,
  page: TusharePage,
) {
  if (value === null || value === undefined) return null;
  const broken = () =>
    new TushareBadResponseError(
      `${spec.apiName}.${field.name}: ${JSON.stringify(value)} is not a ${field.type}`,
      {
        apiName: spec.apiName,
        paramsHash: page.paramsHash,
        page: page.page,
        field: field.name,
      },
    );
  switch (field.type) {
    case 'str':
    case 'date':
    case 'datetime':
      return typeof value === 'number' ? String(value) : value;
    case 'float': {
      const number = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value);
      if (!Number.isFinite(number)) throw broken();
      return number;
    }
    case 'int': {
      const number =
        typeof value === 'number' ? value : /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
      if (!Number.isSafeInteger(number)) throw broken();
      return number;
    }
  }
}

/**
 * The request params a normalizer may need (a minute bar's `freq` is in no column), as strings.
 * `limit`/`offset` are left out: they only place the page, which the envelope records already.
 */
export function envelopeParams(params: TusharePage['params']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (name !== 'limit' && name !== 'offset') out[name] = String(value);
  }
  return out;
}

/** One row as its raw Avro record: the envelope plus every catalog field (absent ones null). */
export function rawRecord(
  spec: EndpointSpec,
  page: TusharePage,
  rowIndex: number,
  row: TushareRow,
  context: RawContext,
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    envelope: {
      run_id: context.runId,
      api_name: spec.apiName,
      params_hash: page.paramsHash,
      page: page.page,
      row_index: rowIndex,
      fetched_at: context.fetchedAt,
      params: envelopeParams(page.params),
    },
  };
  for (const field of spec.fields) record[field.name] = rawValue(spec, field, row[field.name], page);
  return record;
}

/**
 * A page's rows as log records on the endpoint's raw topic, values encoded by `encode`. Rows `keep`
 * rejects are left out; the others keep their position in the page as `row_index`.
 */
export async function pageRecords(
  spec: EndpointSpec,
  page: TusharePage,
  context: RawContext,
  encode: (value: Record<string, unknown>) => Promise<Buffer>,
  keep: (row: TushareRow) => boolean = () => true,
): Promise<OutgoingRecord[]> {
  const kept = page.rows.flatMap((row, index) => (keep(row) ? [{ row, index }] : []));
  return Promise.all(
    kept.map(async ({ row, index }) => ({
      key: rawKey(spec, row),
      value: await encode(rawRecord(spec, page, index, row, context)),
    })),
  );
}
