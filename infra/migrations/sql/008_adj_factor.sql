-- adj_factor: Tushare's cumulative backward adjustment factor per stock and trade date. It starts
-- at the listing and is multiplied, on each ex-rights day, by the previous close over that day's
-- ex-rights reference price (daily.pre_close), so price × factor is a continuous series.
CREATE TABLE IF NOT EXISTS adj_factor (
  ts_code       text NOT NULL,
  trade_date    date NOT NULL,
  adj_factor    double precision,
  content_hash  bytea NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date)
);

-- The status matrix counts rows per trade date.
CREATE INDEX IF NOT EXISTS adj_factor_date_idx ON adj_factor (trade_date);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable(
      to_regclass('adj_factor'),
      by_range('trade_date', interval '1 year'),
      if_not_exists => true
    );
  END IF;
END
$$;

-- Adjusted stock bars from market_bar and adj_factor (README, "Adjusted prices"):
--   hfq (后复权) price = price × factor(day)
--   qfq (前复权) price = price × factor(day) / factor(anchor)
-- where the anchor is the stock's last factor on or before p_to (Tushare's pro_bar does the same
-- with its end_date), so qfq prices of the anchor day equal the unadjusted ones. 'none' returns the
-- stored prices. Every price column is adjusted, pre_close included (it is the ex-rights reference,
-- so the adjusted pre_close equals the previous day's adjusted close); change is recomputed from
-- the adjusted prices, pct_chg is unchanged by a same-day factor, and vol and amount are not
-- adjusted. A bar whose day has no stored factor yet has null adjusted prices rather than a guess.
-- Values are not rounded. p_ts_code null means every stock.
CREATE OR REPLACE FUNCTION adjusted_bars(p_how text, p_from date, p_to date, p_ts_code text DEFAULT NULL)
RETURNS TABLE (
  ts_code     text,
  trade_date  date,
  open        double precision,
  high        double precision,
  low         double precision,
  close       double precision,
  pre_close   double precision,
  change      double precision,
  pct_chg     double precision,
  vol         double precision,
  amount      double precision,
  adj_factor  double precision,
  multiplier  double precision
)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
  IF p_how IS NULL OR p_how NOT IN ('qfq', 'hfq', 'none') THEN
    RAISE EXCEPTION 'adjusted_bars: p_how must be qfq, hfq or none, got %', coalesce(p_how, 'null')
      USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  WITH anchor AS (
    SELECT DISTINCT ON (a.ts_code) a.ts_code, a.adj_factor AS factor
    FROM adj_factor a
    WHERE a.trade_date <= p_to AND (p_ts_code IS NULL OR a.ts_code = p_ts_code)
    ORDER BY a.ts_code, a.trade_date DESC
  ),
  scaled AS (
    SELECT b.*, f.adj_factor AS factor,
           CASE p_how
             WHEN 'none' THEN 1::double precision
             WHEN 'hfq' THEN f.adj_factor
             ELSE f.adj_factor / nullif(x.factor, 0)
           END AS m
    FROM market_bar b
    LEFT JOIN adj_factor f ON f.ts_code = b.ts_code AND f.trade_date = b.trade_date
    LEFT JOIN anchor x ON x.ts_code = b.ts_code
    WHERE b.asset_class = 'stock'
      AND b.trade_date BETWEEN p_from AND p_to
      AND (p_ts_code IS NULL OR b.ts_code = p_ts_code)
  )
  SELECT s.ts_code, s.trade_date,
         s.open * s.m, s.high * s.m, s.low * s.m, s.close * s.m, s.pre_close * s.m,
         s.close * s.m - s.pre_close * s.m,
         s.pct_chg, s.vol, s.amount, s.factor, s.m
  FROM scaled s
  ORDER BY s.ts_code, s.trade_date;
END
$$;
