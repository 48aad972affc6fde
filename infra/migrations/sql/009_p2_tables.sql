-- P2 (DESIGN §10). minute_bar existed since 002 but was never filled: it gains the trading day each
-- bar belongs to (a futures night session belongs to the next open day, so the day is not the date
-- of trade_time), the provisional mark of realtime bars, and the raw event that last wrote the row.
ALTER TABLE minute_bar ADD COLUMN IF NOT EXISTS trade_date date;
UPDATE minute_bar SET trade_date = (trade_time AT TIME ZONE INTERVAL '+08:00')::date WHERE trade_date IS NULL;
ALTER TABLE minute_bar ALTER COLUMN trade_date SET NOT NULL;
ALTER TABLE minute_bar ADD COLUMN IF NOT EXISTS provisional boolean NOT NULL DEFAULT false;
ALTER TABLE minute_bar ADD COLUMN IF NOT EXISTS source_topic text;
ALTER TABLE minute_bar ADD COLUMN IF NOT EXISTS source_partition integer;
ALTER TABLE minute_bar ADD COLUMN IF NOT EXISTS source_offset bigint;
-- The status matrix counts bars per instrument-day.
CREATE INDEX IF NOT EXISTS minute_bar_day_idx ON minute_bar (asset_class, freq, trade_date, ts_code);

CREATE TABLE IF NOT EXISTS realtime_quote (
  asset_class       text NOT NULL CHECK (asset_class IN ('stock', 'etf', 'index')),
  ts_code           text NOT NULL,
  trade_time        timestamptz NOT NULL,
  trade_date        date NOT NULL,
  name              text,
  open              double precision,
  high              double precision,
  low               double precision,
  close             double precision,
  pre_close         double precision,
  vol               double precision,
  amount            double precision,
  num               double precision,
  ask_volume1       double precision,
  bid_volume1       double precision,
  content_hash      bytea NOT NULL,
  source_topic      text,
  source_partition  integer,
  source_offset     bigint,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_class, ts_code, trade_time)
);

CREATE TABLE IF NOT EXISTS stk_premarket (
  ts_code       text NOT NULL,
  trade_date    date NOT NULL,
  total_share   double precision,
  float_share   double precision,
  pre_close     double precision,
  up_limit      double precision,
  down_limit    double precision,
  content_hash  bytea NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date)
);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    PERFORM create_hypertable('realtime_quote', by_range('trade_time', interval '7 days'), if_not_exists => true);
    PERFORM create_hypertable('stk_premarket', by_range('trade_date', interval '1 year'), if_not_exists => true);
  END IF;
END
$$;
