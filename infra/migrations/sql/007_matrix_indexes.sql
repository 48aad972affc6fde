-- The status matrix counts rows per trade date; without these it scans the whole table per query.
CREATE INDEX IF NOT EXISTS daily_basic_date_idx ON daily_basic (trade_date);
CREATE INDEX IF NOT EXISTS moneyflow_date_idx ON moneyflow (trade_date);
