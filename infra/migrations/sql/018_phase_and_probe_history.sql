-- Every phase move and every permission probe, in log order: phase_state and permission_probe keep
-- only the latest, and a past trade date is judged by the phase and probes in force on it. Both are
-- projections of the control log, so a store migrated from an older version fills them from the
-- beginning of the log the next time its projections run.
CREATE TABLE IF NOT EXISTS phase_history (
  control_offset  bigint PRIMARY KEY,
  current_phase   text NOT NULL CHECK (current_phase IN ('A', 'B', 'C', 'D', 'E')),
  frozen          boolean NOT NULL,
  frozen_reason   text,
  changed_at      timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS probe_history (
  control_offset  bigint PRIMARY KEY,
  api_name        text NOT NULL,
  passed          boolean NOT NULL,
  tushare_code    integer,
  message         text,
  probed_at       timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS probe_history_api_idx ON probe_history (api_name, control_offset);
