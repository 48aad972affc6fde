-- Heartbeats report the rows a run has produced so far; the runs view shows them while a run is
-- live, and a run closed as abandoned keeps them as the only count it will ever report.
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS rows_so_far bigint NOT NULL DEFAULT 0;
