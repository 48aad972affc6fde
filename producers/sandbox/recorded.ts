import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ApiName, endpoint, isApiName } from '../../contracts/catalog/index.js';
import type { FieldSpec } from '../../contracts/catalog/types.js';
import { ValidationError } from '../../contracts/errors.js';
import type { SandboxDataset, WireRow } from './dataset.js';
import { type AbsentColumn, type ParamValues, parseQuery, select } from './filter.js';

/**
 * A folder of recorded Tushare output, served as a sandbox dataset. One file per api_name:
 * `<api_name>.csv` (RFC 4180, a header row of Tushare column names, an empty cell is null) or
 * `<api_name>.jsonl` (one JSON object per line keyed by Tushare column names). Values are typed by
 * the catalog: float and int columns become numbers, the rest strings. Catalog columns a file
 * lacks are served as null; columns the catalog lacks are kept as they are (strings from CSV) and
 * pass through, as extra columns from Tushare would. Every file is read and checked when the folder
 * is opened; a bad one is a `ValidationError` naming the file and line. Queries filter and order
 * rows exactly as the synthetic market does (`filter.ts`). The format is in README.md.
 */
export async function openRecordedDataset(
  dir: string,
  options: {
    /**
     * Told once per file and column when a query filters on a column the file lacks (older
     * Tushare output): the file's rows are then served unfiltered on it (see filter.ts).
     */
    warn?: (message: string) => void;
  } = {},
): Promise<SandboxDataset> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new ValidationError('recorded dataset', [
      { path: dir, message: `cannot read the folder (${(error as NodeJS.ErrnoException).code ?? 'error'})` },
    ]);
  }
  const files = new Map<ApiName, string>();
  for (const name of names.sort()) {
    const match = /^(.+)\.(csv|jsonl)$/.exec(name);
    if (match === null) continue;
    const apiName = match[1] as string;
    if (!isApiName(apiName))
      throw fileError(join(dir, name), undefined, `'${apiName}' is not an api_name of the catalog`);
    const other = files.get(apiName);
    if (other !== undefined)
      throw fileError(join(dir, name), undefined, `${other} already records ${apiName}`);
    files.set(apiName, name);
  }
  const tables = new Map<ApiName, { path: string; rows: WireRow[]; columns: Set<string> }>();
  for (const [apiName, name] of files) {
    const path = join(dir, name);
    const text = await readFile(path, 'utf8');
    const columns = new Set<string>();
    const rows = name.endsWith('.csv')
      ? readCsv(apiName, path, text, columns)
      : readJsonl(apiName, path, text, columns);
    tables.set(apiName, { path, rows, columns });
  }
  const warned = new Set<string>();
  return {
    kind: 'recorded',
    supports: (apiName) => tables.has(apiName),
    query(apiName: ApiName, params: ParamValues): WireRow[] {
      const table = tables.get(apiName);
      if (table === undefined) return [];
      const query = parseQuery(apiName, params, table.columns);
      for (const a of query.absent) {
        const once = `${apiName}|${a.column}`;
        if (warned.has(once)) continue;
        warned.add(once);
        options.warn?.(absentWarning(table.path, a));
      }
      return select(query, table.rows);
    },
  };
}

function absentWarning(path: string, a: AbsentColumn): string {
  const how =
    a.assumed === null
      ? `${a.param} does not filter its rows: they are served unfiltered`
      : `its rows are taken to be ${a.param}=${a.assumed} (the default) and served unfiltered when asked for ${a.assumed}, not for another value`;
  return `recorded file ${path} has no column ${a.column} (older Tushare output): ${how}`;
}

function fileError(path: string, line: number | undefined, message: string): ValidationError {
  return new ValidationError(`recorded file ${path}`, [
    { path: line === undefined ? '' : `line ${line}`, message },
  ]);
}

/** Column → catalog field, for one endpoint. */
function fieldsByColumn(apiName: ApiName): ReadonlyMap<string, FieldSpec> {
  return new Map(endpoint(apiName).fields.map((f) => [f.tushareName ?? f.name, f]));
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const DATE = /^\d{8}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** One cell typed by its catalog field; throws a message for a value the type cannot take. */
function typed(field: FieldSpec | undefined, raw: unknown, column: string): string | number | null {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' && typeof raw !== 'number')
    throw new Error(`column ${column}: not a string or a number`);
  if (field === undefined) return raw;
  switch (field.type) {
    case 'float':
    case 'int': {
      const n = typeof raw === 'number' ? raw : NUMBER.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
      if (!Number.isFinite(n)) throw new Error(`column ${column}: '${raw}' is not a number`);
      if (field.type === 'int' && !Number.isInteger(n))
        throw new Error(`column ${column}: '${raw}' is not an integer`);
      return n;
    }
    case 'date': {
      const s = String(raw);
      if (!DATE.test(s)) throw new Error(`column ${column}: '${s}' is not a YYYYMMDD date`);
      return s;
    }
    case 'datetime': {
      if (typeof raw !== 'string' || !DATETIME.test(raw))
        throw new Error(`column ${column}: '${raw}' is not YYYY-MM-DD HH:MM:SS`);
      return raw;
    }
    default:
      // Tushare documents some str columns that arrive as numbers (trade_cal's is_open).
      return String(raw);
  }
}

/** A wire row: catalog columns first in catalog order (null where absent), then extra columns. */
function toRow(byColumn: ReadonlyMap<string, FieldSpec>, cells: Iterable<[string, unknown]>): WireRow {
  const row: WireRow = {};
  for (const column of byColumn.keys()) row[column] = null;
  for (const [column, raw] of cells) row[column] = typed(byColumn.get(column), raw, column);
  return row;
}

function requireKeyColumns(apiName: ApiName, columns: ReadonlySet<string>, path: string, line: number): void {
  const spec = endpoint(apiName);
  for (const key of spec.naturalKey) {
    const field = spec.fields.find((f) => f.name === key);
    const column = field?.tushareName ?? key;
    if (!columns.has(column)) throw fileError(path, line, `the key column '${column}' is missing`);
  }
}

/** Rows of a JSONL file; `columns` gets every key any line has. */
function readJsonl(apiName: ApiName, path: string, text: string, columns: Set<string>): WireRow[] {
  const byColumn = fieldsByColumn(apiName);
  const rows: WireRow[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw fileError(path, i + 1, `not JSON (${(error as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw fileError(path, i + 1, 'expected a JSON object');
    const entries = Object.entries(value);
    for (const [key] of entries) columns.add(key);
    requireKeyColumns(apiName, new Set(entries.map(([k]) => k)), path, i + 1);
    try {
      rows.push(toRow(byColumn, entries));
    } catch (error) {
      throw fileError(path, i + 1, (error as Error).message);
    }
  });
  return rows;
}

/** Rows of a CSV file; `columns` gets its header. */
function readCsv(apiName: ApiName, path: string, text: string, columns: Set<string>): WireRow[] {
  const byColumn = fieldsByColumn(apiName);
  const rows: WireRow[] = [];
  let header: string[] | undefined;
  try {
    for (const record of csvRecords(text.startsWith('\uFEFF') ? text.slice(1) : text)) {
      if (header === undefined) {
        header = record.fields.map((h) => h.trim());
        const seen = new Set<string>();
        for (const column of header) {
          if (column === '') throw new CsvError(record.line, 'empty column name in the header');
          if (seen.has(column))
            throw new CsvError(record.line, `column '${column}' appears twice in the header`);
          seen.add(column);
        }
        requireKeyColumns(apiName, seen, path, record.line);
        for (const column of seen) columns.add(column);
        continue;
      }
      const names = header;
      if (record.fields.length !== names.length)
        throw new CsvError(record.line, `expected ${names.length} fields, found ${record.fields.length}`);
      try {
        rows.push(
          toRow(
            byColumn,
            record.fields.map((v, i) => [names[i] as string, v]),
          ),
        );
      } catch (error) {
        throw new CsvError(record.line, (error as Error).message);
      }
    }
  } catch (error) {
    if (error instanceof CsvError) throw fileError(path, error.line, error.message);
    throw error;
  }
  if (header === undefined) throw fileError(path, 1, 'no header row');
  return rows;
}

class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * RFC 4180 records: fields split on commas, `"` quotes fields that hold commas, quotes or line
 * breaks, `""` is a quote inside one; CRLF or LF ends a record. Each record carries the line it
 * starts on. Blank lines are skipped.
 */
export function* csvRecords(text: string): Generator<{ line: number; fields: string[] }> {
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let blank = true;
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        blank = false;
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new CsvError(start, 'a quoted field is never closed');
          const chunk = text.slice(i, q);
          for (const ch of chunk) if (ch === '\n') line++;
          value += chunk;
          if (text[q + 1] === '"') {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r')
          throw new CsvError(line, 'a character follows a closing quote');
      } else {
        let j = i;
        while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
        value = text.slice(i, j);
        if (value.includes('"')) throw new CsvError(line, 'a quote inside an unquoted field');
        if (value !== '') blank = false;
        i = j;
      }
      fields.push(value);
      if (text[i] === ',') {
        blank = false;
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (!blank) yield { line: start, fields };
  }
}
