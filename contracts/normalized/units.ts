/**
 * The one unit table. Tushare serves volumes and amounts in units that differ by endpoint (lots of
 * 100 shares, thousand CNY, ten thousand CNY, hundred million CNY…). Our rule: every number the
 * processors write is in BASE units — shares (fund units for ETFs), contracts, kilograms, CNY — so a
 * column means the same thing in every row whatever endpoint filled it. Prices, percents, ratios and
 * index points are not scaled; they are written as served.
 *
 * `source` is copied from the catalog field's doc (a unit test checks that it still appears there),
 * so a catalog change that alters a unit breaks the build instead of the data.
 */
export interface UnitConversion {
  apiName: string;
  /** Catalog field name. */
  field: string;
  /** The unit as the catalog documents it. */
  source: string;
  /** The unit written. */
  base: string;
  /** Written value = served value × factor (always a power of ten, applied in decimal). */
  factor: number;
}

const each = (
  apiName: string,
  fields: readonly string[],
  source: string,
  base: string,
  factor: number,
): UnitConversion[] => fields.map((field) => ({ apiName, field, source, base, factor }));

const SIZES = ['sm', 'md', 'lg', 'elg'] as const;

export const UNIT_CONVERSIONS: readonly UnitConversion[] = [
  ...each('daily', ['vol'], 'lots (1 lot = 100 shares)', 'shares', 100),
  ...each('daily', ['amount'], 'thousand CNY', 'CNY', 1_000),
  ...each('fund_daily', ['vol'], 'lots (1 lot = 100 units)', 'fund units', 100),
  ...each('fund_daily', ['amount'], 'thousand CNY', 'CNY', 1_000),
  ...each('index_daily', ['vol'], 'lots (1 lot = 100 shares)', 'shares', 100),
  ...each('index_daily', ['amount'], 'thousand CNY', 'CNY', 1_000),
  ...each('fut_daily', ['vol'], 'lots (contracts)', 'contracts', 1),
  ...each('fut_daily', ['amount'], 'ten thousand CNY', 'CNY', 10_000),
  ...each('fut_daily', ['oi', 'oi_chg'], 'lots', 'contracts', 1),
  // SGE counts both sides of a trade; we keep that convention (no halving) and say so here.
  ...each('sge_daily', ['vol'], 'kilograms, counted on both sides', 'kg, both sides', 1),
  ...each('sge_daily', ['amount'], 'CNY, counted on both sides', 'CNY, both sides', 1),
  ...each(
    'daily_basic',
    ['total_share', 'float_share', 'free_share'],
    'ten thousand shares',
    'shares',
    10_000,
  ),
  ...each('daily_basic', ['total_mv', 'circ_mv'], 'ten thousand CNY', 'CNY', 10_000),
  ...SIZES.flatMap((size) => [
    ...each('moneyflow', [`buy_${size}_vol`, `sell_${size}_vol`], 'lots', 'shares', 100),
    ...each('moneyflow', [`buy_${size}_amount`, `sell_${size}_amount`], 'ten thousand CNY', 'CNY', 10_000),
  ]),
  ...each('moneyflow', ['net_mf_vol'], 'lots', 'shares', 100),
  ...each('moneyflow', ['net_mf_amount'], 'ten thousand CNY', 'CNY', 10_000),
  ...each(
    'fut_holding',
    ['vol', 'vol_chg', 'long_hld', 'long_chg', 'short_hld', 'short_chg'],
    'lots',
    'contracts',
    1,
  ),
  // Minute and realtime endpoints already serve base units; listed so the table says so.
  ...each('stk_mins', ['vol'], 'shares', 'shares', 1),
  ...each('stk_mins', ['amount'], 'CNY', 'CNY', 1),
  ...each('idx_mins', ['vol'], 'shares', 'shares', 1),
  ...each('idx_mins', ['amount'], 'CNY', 'CNY', 1),
  ...each('ft_mins', ['vol'], 'lots (contracts)', 'contracts', 1),
  ...each('ft_mins', ['amount'], 'CNY', 'CNY', 1),
  ...each('ft_mins', ['oi'], 'lots', 'contracts', 1),
  ...each('rt_min', ['vol'], 'shares', 'shares', 1),
  ...each('rt_min', ['amount'], 'CNY', 'CNY', 1),
  ...each('rt_idx_min', ['vol'], 'shares', 'shares', 1),
  ...each('rt_idx_min', ['amount'], 'CNY', 'CNY', 1),
  ...each('rt_etf_k', ['vol', 'ask_volume1', 'bid_volume1'], 'units', 'fund units', 1),
  ...each('rt_etf_k', ['amount'], 'CNY', 'CNY', 1),
  ...each('rt_idx_k', ['vol'], 'shares', 'shares', 1),
  ...each('rt_idx_k', ['amount'], 'CNY', 'CNY', 1),
  ...each('stk_premarket', ['total_share', 'float_share'], 'ten thousand shares', 'shares', 10_000),
  ...each('fund_basic', ['issue_amount'], 'hundred million units', 'fund units', 100_000_000),
  ...each('fund_basic', ['min_amount'], 'ten thousand CNY', 'CNY', 10_000),
  // An SGE lot differs by contract (t_unit grams); lots stay lots.
  ...each('sge_basic', ['min_vol', 'max_vol'], 'lots', 'lots', 1),
  ...each('cn_gdp', ['gdp', 'pi', 'si', 'ti'], 'hundred million CNY', 'CNY', 100_000_000),
  ...each('cn_m', ['m0', 'm1', 'm2'], 'hundred million CNY', 'CNY', 100_000_000),
];

const BY_FIELD = new Map(UNIT_CONVERSIONS.map((u) => [`${u.apiName}.${u.field}`, u]));

export function unitOf(apiName: string, field: string): UnitConversion | undefined {
  return BY_FIELD.get(`${apiName}.${field}`);
}

/**
 * The Markdown table of every conversion, fields with the same rule on one line, for
 * processors/README.md (a test keeps the README equal to this output).
 */
export function renderUnitTable(): string {
  const groups = new Map<string, { rule: UnitConversion; fields: string[] }>();
  for (const u of UNIT_CONVERSIONS) {
    const id = `${u.apiName}|${u.source}|${u.base}|${u.factor}`;
    const group = groups.get(id) ?? { rule: u, fields: [] };
    group.fields.push(u.field);
    groups.set(id, group);
  }
  const rows = [...groups.values()].map(({ rule, fields }) => [
    `\`${rule.apiName}\``,
    fields.map((f) => `\`${f}\``).join(', '),
    rule.source,
    rule.base,
    rule.factor === 1 ? '× 1 (kept)' : `× ${rule.factor.toLocaleString('en-US')}`,
  ]);
  const header = ['endpoint', 'fields', 'served as', 'written as', 'factor'];
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  return `${lines.join('\n')}\n`;
}
