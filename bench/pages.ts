import { type ApiName, endpoint } from '../contracts/catalog/index.js';
import type { WireRow } from '../producers/sandbox/dataset.js';
import { toRows } from '../producers/tushare/answer.js';
import { paramsHash } from '../producers/tushare/params-hash.js';
import type { TusharePage, TushareParams } from '../producers/tushare/source.js';

/**
 * One query's synthetic answer as the Tushare client pages it: mapped with the client's own
 * wire-to-catalog function (`toRows`) and cut at the endpoint's row limit.
 */
export function clientPages(
  apiName: ApiName,
  params: TushareParams,
  wire: readonly WireRow[],
): { pages: TusharePage[]; rows: number } {
  const spec = endpoint(apiName);
  const columns = spec.fields.map((f) => f.tushareName ?? f.name);
  const mapped = toRows(
    apiName,
    columns,
    wire.map((row) => columns.map((column) => row[column] ?? null)),
  );
  if (!Array.isArray(mapped)) throw new Error(`synthetic ${apiName} rows: ${mapped.problem}`);
  const pages: TusharePage[] = [];
  for (let start = 0, page = 0; start < mapped.length; start += spec.rowLimit, page++) {
    pages.push({
      apiName,
      params,
      paramsHash: paramsHash(params),
      page,
      offset: start,
      rows: mapped.slice(start, start + spec.rowLimit),
    });
  }
  return { pages, rows: mapped.length };
}
