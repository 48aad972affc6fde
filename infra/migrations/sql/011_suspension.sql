-- suspension: Tushare's suspend_d, one row per stock, day and type (S suspended, R resumed). A
-- stock suspended the whole day (S, no suspend_timing) has no daily bar, by the market's rules:
-- the status matrix reads this table so such a day is not counted as missing data.
CREATE TABLE IF NOT EXISTS suspension (
  ts_code         text NOT NULL,
  trade_date      date NOT NULL,
  suspend_type    text NOT NULL,
  suspend_timing  text,
  content_hash    bytea NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date, suspend_type)
);

CREATE INDEX IF NOT EXISTS suspension_date_idx ON suspension (trade_date) WHERE suspend_type = 'S';
