-- minute_bar_day_idx led with (asset_class, freq), the leading columns of the primary key's
-- lookups by (asset_class, ts_code, freq, trade_time) too. On a table without statistics
-- (autovacuum off, or not yet caught up with a fast load, or a fresh chunk) the planner could take
-- it for the processor's key lookups, filtering trade_time over every bar of the code: each batch
-- then cost more than the one before (7.3 s against 22 ms for 5,000 keys at 600,000 bars). Led by
-- trade_date, it serves only what it is for, the matrix's counts over a range of days.
DROP INDEX IF EXISTS minute_bar_day_idx;
CREATE INDEX IF NOT EXISTS minute_bar_day_idx ON minute_bar (trade_date, asset_class, freq, ts_code);
