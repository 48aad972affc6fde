-- Processors commit the log position they have consumed in the same transaction as the rows they
-- wrote from it: after a crash, the rows and the position are both there or both absent.
CREATE TABLE IF NOT EXISTS consumer_offset (
  consumer     text NOT NULL,
  topic        text NOT NULL,
  partition    integer NOT NULL CHECK (partition >= 0),
  next_offset  bigint NOT NULL CHECK (next_offset >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, partition)
);

-- Projections fold the control topic; each keeps its checkpoint beside its state, same transaction.
CREATE TABLE IF NOT EXISTS projection_checkpoint (
  projection   text PRIMARY KEY,
  next_offset  bigint NOT NULL CHECK (next_offset >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS cursor_state (
  cursor           text PRIMARY KEY,
  value            text NOT NULL,
  run_id           text,
  advanced_offset  bigint NOT NULL,
  advanced_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_runs (
  run_id           text PRIMARY KEY,
  chain            text NOT NULL,
  batch            text,
  status           text NOT NULL CHECK (status IN ('running', 'ok', 'partial', 'failed', 'abandoned')),
  from_date        date,
  to_date          date,
  started_at       timestamptz NOT NULL,
  last_heartbeat   timestamptz NOT NULL,
  finished_at      timestamptz,
  heartbeat_timeout_ms bigint NOT NULL,
  stats            jsonb,
  module_results   jsonb NOT NULL DEFAULT '[]'::jsonb,
  error            text,
  started_offset   bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS ingest_runs_status_idx ON ingest_runs (status, started_at);

CREATE TABLE IF NOT EXISTS flags_history (
  control_offset  bigint PRIMARY KEY,
  flags           jsonb NOT NULL,
  actor           text NOT NULL,
  reason          text NOT NULL,
  restored_from_offset bigint,
  changed_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS permission_probe (
  api_name        text PRIMARY KEY,
  passed          boolean NOT NULL,
  tushare_code    integer,
  message         text,
  probed_offset   bigint NOT NULL,
  probed_at       timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS phase_state (
  singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  current_phase text NOT NULL CHECK (current_phase IN ('A', 'B', 'C', 'D', 'E')),
  frozen        boolean NOT NULL DEFAULT false,
  frozen_reason text,
  changed_offset bigint NOT NULL,
  changed_at    timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS gate_evaluation (
  control_offset   bigint PRIMARY KEY,
  gate             text NOT NULL,
  passed           boolean NOT NULL,
  as_of_trade_date date,
  clean_days       integer NOT NULL,
  required_days    integer NOT NULL,
  failures         jsonb NOT NULL,
  evaluated_at     timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS gate_evaluation_gate_idx ON gate_evaluation (gate, control_offset DESC);

CREATE TABLE IF NOT EXISTS alert (
  control_offset  bigint PRIMARY KEY,
  alert           text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message         text NOT NULL,
  value           double precision,
  threshold       double precision,
  raised_at       timestamptz NOT NULL
);
