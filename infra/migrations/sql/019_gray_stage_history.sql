-- Every GrayStageChanged, in log order (the gray_history projection): the status matrix judges a
-- minute module's day by the stage in force on it, as it judges switches by flags_history, since a
-- promotion fetches its new members from then on and never the days before.
CREATE TABLE IF NOT EXISTS gray_stage_history (
  control_offset  bigint PRIMARY KEY,
  module          text NOT NULL,
  stage           text NOT NULL,
  share           double precision NOT NULL CHECK (share >= 0 AND share <= 1),
  allow_list      jsonb NOT NULL,
  changed_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS gray_stage_history_module_idx ON gray_stage_history (module, control_offset);
