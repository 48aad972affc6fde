-- Time-series tables become hypertables where TimescaleDB is installed; on plain PostgreSQL this
-- migration changes nothing and the status reports storage mode `postgresql`. Every unique key of
-- these tables includes the time column, as TimescaleDB requires. if_not_exists makes a rerun safe.
DO $$
DECLARE
  target record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    RETURN;
  END IF;
  FOR target IN
    SELECT * FROM (VALUES
      ('market_bar', 'trade_date', interval '1 year'),
      ('futures_bar_ext', 'trade_date', interval '1 year'),
      ('spot_sge_bar_ext', 'trade_date', interval '1 year'),
      ('fx_bar_ext', 'trade_date', interval '1 year'),
      ('minute_bar', 'trade_time', interval '7 days'),
      ('fut_holding', 'trade_date', interval '1 year'),
      ('fut_wsr', 'trade_date', interval '1 year'),
      ('daily_basic', 'trade_date', interval '1 year'),
      ('moneyflow', 'trade_date', interval '1 year')
    ) AS t(table_name, time_column, chunk)
  LOOP
    PERFORM create_hypertable(
      to_regclass(target.table_name),
      by_range(target.time_column, target.chunk),
      if_not_exists => true
    );
  END LOOP;
END
$$;
