-- Gray release of the P2 modules (DESIGN §10): gray_stage is the projection of GrayStageChanged,
-- the stage in force per module and the evidence of the step that set it. The stage's gate counts
-- runs from stage_offset on.
CREATE TABLE IF NOT EXISTS gray_stage (
  module          text PRIMARY KEY,
  stage           text NOT NULL,
  previous_stage  text,
  action          text NOT NULL CHECK (action IN ('start', 'promote', 'rollback', 'set')),
  share           double precision NOT NULL CHECK (share >= 0 AND share <= 1),
  allow_list      jsonb NOT NULL,
  reason          text NOT NULL,
  evidence        jsonb NOT NULL,
  stage_offset    bigint NOT NULL,
  changed_at      timestamptz NOT NULL
);
