-- Every sourced table names the raw event that last wrote each row (NOT NULL, as in market_bar).
-- 009 added these columns to minute_bar as nullable and created realtime_quote the same way; both
-- tables are only written by the processor, which always sets them, so no row can hold a NULL.
ALTER TABLE minute_bar ALTER COLUMN source_topic SET NOT NULL;
ALTER TABLE minute_bar ALTER COLUMN source_partition SET NOT NULL;
ALTER TABLE minute_bar ALTER COLUMN source_offset SET NOT NULL;
ALTER TABLE realtime_quote ALTER COLUMN source_topic SET NOT NULL;
ALTER TABLE realtime_quote ALTER COLUMN source_partition SET NOT NULL;
ALTER TABLE realtime_quote ALTER COLUMN source_offset SET NOT NULL;
