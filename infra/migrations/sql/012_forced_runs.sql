-- Runs an operator forced past the phase rules (`--force-phase`): why, from their RunStarted.
-- Such runs never count for or against a gate.
ALTER TABLE ingest_runs ADD COLUMN IF NOT EXISTS force_phase text;
