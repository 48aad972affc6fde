-- The call budget shared by every producer of one Tushare token (README, "The call budget").
-- tushare_budget is the projection of CallBudgetLearned: the limits Tushare stated, per token hash,
-- endpoint and window. A producer that learns a limit writes its own event's row at once (the same
-- row the projection runner writes later), so producers running beside it keep to it immediately.
CREATE TABLE IF NOT EXISTS tushare_budget (
  budget_key      text PRIMARY KEY,
  token_hash      text NOT NULL,
  api_name        text NOT NULL,
  rate_window     text NOT NULL CHECK (rate_window IN ('minute', 'hour', 'day')),
  call_limit      integer NOT NULL CHECK (call_limit > 0),
  blocked_until   timestamptz,
  learned_offset  bigint NOT NULL,
  learned_at      timestamptz NOT NULL
);

-- Call starts per token hash and endpoint in the current window: the sliding-window log that
-- concurrent producers count together. Old starts are pruned as calls are made.
CREATE TABLE IF NOT EXISTS tushare_call (
  token_hash  text NOT NULL,
  api_name    text NOT NULL,
  started_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS tushare_call_window_idx ON tushare_call (token_hash, api_name, started_at);
