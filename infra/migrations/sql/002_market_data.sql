-- Market data (DESIGN §5). Every table's key is the natural key of its rows, time column included,
-- so upserts are idempotent and TimescaleDB can partition by time.
-- content_hash: digest of the normalized row; an unchanged hash is a duplicate and writes nothing.
-- source_*: the raw event that last wrote the row, for lineage and exactly-once checks.

CREATE TABLE IF NOT EXISTS market_bar (
  asset_class       text NOT NULL CHECK (asset_class IN ('stock', 'etf', 'index', 'futures', 'spot', 'fx')),
  ts_code           text NOT NULL,
  trade_date        date NOT NULL,
  open              double precision,
  high              double precision,
  low               double precision,
  close             double precision,
  pre_close         double precision,
  change            double precision,
  pct_chg           double precision,
  vol               double precision,
  amount            double precision,
  content_hash      bytea NOT NULL,
  source_topic      text NOT NULL,
  source_partition  integer NOT NULL,
  source_offset     bigint NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_class, ts_code, trade_date)
);
CREATE INDEX IF NOT EXISTS market_bar_date_idx ON market_bar (trade_date, asset_class);

-- Extension tables share market_bar's key; each adds what only its asset class has.
CREATE TABLE IF NOT EXISTS futures_bar_ext (
  ts_code      text NOT NULL,
  trade_date   date NOT NULL,
  settle       double precision,
  pre_settle   double precision,
  change1      double precision,
  change2      double precision,
  oi           double precision,
  oi_chg       double precision,
  delv_settle  double precision,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date)
);

CREATE TABLE IF NOT EXISTS spot_sge_bar_ext (
  ts_code      text NOT NULL,
  trade_date   date NOT NULL,
  price_avg    double precision,
  oi           double precision,
  settle_vol   double precision,
  settle_dire  text,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date)
);

CREATE TABLE IF NOT EXISTS fx_bar_ext (
  ts_code     text NOT NULL,
  trade_date  date NOT NULL,
  bid_open    double precision,
  bid_high    double precision,
  bid_low     double precision,
  bid_close   double precision,
  ask_open    double precision,
  ask_high    double precision,
  ask_low     double precision,
  ask_close   double precision,
  tick_qty    double precision,
  exchange    text,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date)
);

-- Macro series are published for a period and become known on available_date: a gate or a
-- backtest must only see a value from its available_date on.
CREATE TABLE IF NOT EXISTS macro_observation (
  series          text NOT NULL,
  period          text NOT NULL,
  period_end      date NOT NULL,
  value           double precision,
  available_date  date NOT NULL,
  source_api      text NOT NULL,
  content_hash    bytea NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (series, period)
);
CREATE INDEX IF NOT EXISTS macro_observation_available_idx ON macro_observation (series, available_date);

CREATE TABLE IF NOT EXISTS minute_bar (
  asset_class   text NOT NULL CHECK (asset_class IN ('stock', 'etf', 'index', 'futures')),
  ts_code       text NOT NULL,
  freq          text NOT NULL,
  trade_time    timestamptz NOT NULL,
  open          double precision,
  high          double precision,
  low           double precision,
  close         double precision,
  vol           double precision,
  amount        double precision,
  oi            double precision,
  content_hash  bytea NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_class, ts_code, freq, trade_time)
);

CREATE TABLE IF NOT EXISTS fut_holding (
  trade_date    date NOT NULL,
  symbol        text NOT NULL,
  broker        text NOT NULL,
  exchange      text,
  vol           double precision,
  vol_chg       double precision,
  long_hld      double precision,
  long_chg      double precision,
  short_hld     double precision,
  short_chg     double precision,
  content_hash  bytea NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trade_date, symbol, broker)
);

CREATE TABLE IF NOT EXISTS fut_wsr (
  trade_date    date NOT NULL,
  symbol        text NOT NULL,
  warehouse     text NOT NULL,
  fut_name      text,
  wh_id         text,
  area          text,
  year          text,
  grade         text,
  brand         text,
  place         text,
  pd            double precision,
  vol           double precision,
  unit          text,
  exchange      text,
  content_hash  bytea NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trade_date, symbol, warehouse)
);

CREATE TABLE IF NOT EXISTS daily_basic (
  ts_code          text NOT NULL,
  trade_date       date NOT NULL,
  close            double precision,
  turnover_rate    double precision,
  turnover_rate_f  double precision,
  volume_ratio     double precision,
  pe               double precision,
  pe_ttm           double precision,
  pb               double precision,
  ps               double precision,
  ps_ttm           double precision,
  dv_ratio         double precision,
  dv_ttm           double precision,
  total_share      double precision,
  float_share      double precision,
  free_share       double precision,
  total_mv         double precision,
  circ_mv          double precision,
  content_hash     bytea NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date)
);

CREATE TABLE IF NOT EXISTS moneyflow (
  ts_code          text NOT NULL,
  trade_date       date NOT NULL,
  buy_sm_vol       double precision,
  buy_sm_amount    double precision,
  sell_sm_vol      double precision,
  sell_sm_amount   double precision,
  buy_md_vol       double precision,
  buy_md_amount    double precision,
  sell_md_vol      double precision,
  sell_md_amount   double precision,
  buy_lg_vol       double precision,
  buy_lg_amount    double precision,
  sell_lg_vol      double precision,
  sell_lg_amount   double precision,
  buy_elg_vol      double precision,
  buy_elg_amount   double precision,
  sell_elg_vol     double precision,
  sell_elg_amount  double precision,
  net_mf_vol       double precision,
  net_mf_amount    double precision,
  content_hash     bytea NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (ts_code, trade_date)
);

-- Reference data.
CREATE TABLE IF NOT EXISTS instrument (
  asset_class   text NOT NULL,
  ts_code       text NOT NULL,
  name          text,
  exchange      text,
  list_date     date,
  delist_date   date,
  attributes    jsonb NOT NULL DEFAULT '{}'::jsonb,
  content_hash  bytea NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (asset_class, ts_code)
);
CREATE INDEX IF NOT EXISTS instrument_listing_idx ON instrument (asset_class, list_date, delist_date);

CREATE TABLE IF NOT EXISTS trade_calendar (
  exchange       text NOT NULL,
  cal_date       date NOT NULL,
  is_open        boolean NOT NULL,
  pretrade_date  date,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (exchange, cal_date)
);
CREATE INDEX IF NOT EXISTS trade_calendar_open_idx ON trade_calendar (exchange, cal_date) WHERE is_open;
