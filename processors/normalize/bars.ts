import { endpoint } from '../../contracts/catalog/index.js';
import { extensionOf, TABLES } from '../../contracts/normalized/tables.js';
import { contentHash } from './hash.js';
import { constant, derive, field, readRow, type Source, tablePlan } from './plan.js';
import type { EndpointNormalizer, TableRow } from './types.js';

/**
 * Daily bars → market_bar (+ the asset's extension table). Columns map by name from the catalog;
 * the overrides below are the only exceptions, each with its reason.
 */
const OVERRIDES: Readonly<Record<string, Readonly<Record<string, Source>>>> = {
  // SGE names the percent change differently; same meaning (percent).
  sge_daily: { pct_chg: field('pct_change') },
  // FX is served as bid and ask bars. The unified bar is the mid: (bid + ask) / 2 per OHLC price,
  // null when either side is missing. For high/low that is the mean of the two sides' extremes, not
  // the extreme of an intraday mid series (which Tushare does not serve); the sides themselves are
  // kept in fx_bar_ext. pre_close/change/pct_chg need the previous bar and stay null, as do vol and
  // amount, which FX (over the counter) does not have: tick_qty in fx_bar_ext counts quotes.
  fx_daily: Object.fromEntries(
    (['open', 'high', 'low', 'close'] as const).map((side) => [
      side,
      derive([`bid_${side}`, `ask_${side}`], (row) => {
        const bid = row.number(`bid_${side}`);
        const ask = row.number(`ask_${side}`);
        return bid === null || ask === null ? null : (bid + ask) / 2;
      }),
    ]),
  ),
};

/** The daily-bar endpoints; each one's asset class is the catalog's. */
export const BAR_APIS = ['daily', 'fund_daily', 'index_daily', 'fut_daily', 'sge_daily', 'fx_daily'] as const;

export function barNormalizer(apiName: (typeof BAR_APIS)[number]): EndpointNormalizer {
  const spec = endpoint(apiName);
  const bar = tablePlan(spec, TABLES.market_bar, {
    ...OVERRIDES[apiName],
    asset_class: constant(spec.assetClass),
  });
  const extTable = extensionOf(spec.assetClass);
  const ext = extTable ? tablePlan(spec, extTable) : undefined;
  return (row) => {
    const barValues = readRow(bar, row);
    if (!ext) {
      return [
        {
          table: 'market_bar',
          values: { ...barValues, content_hash: contentHash([{ table: 'market_bar', values: barValues }]) },
        },
      ];
    }
    const extValues = readRow(ext, row);
    // The parent's hash covers the extension's values: a changed settle price is a revision of the bar.
    const hash = contentHash([
      { table: 'market_bar', values: barValues },
      { table: ext.table.name, values: extValues },
    ]);
    const rows: TableRow[] = [
      { table: 'market_bar', values: { ...barValues, content_hash: hash } },
      { table: ext.table.name, values: extValues },
    ];
    return rows;
  };
}
