-- The embedded event log (DESIGN §7): Kafka's topic/partition/offset model in tables.
CREATE TABLE IF NOT EXISTS event_log_topic (
  topic       text PRIMARY KEY,
  partitions  integer NOT NULL CHECK (partitions > 0),
  configs     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One counter row per partition; appends lock it, which keeps offsets gapless and in commit order.
CREATE TABLE IF NOT EXISTS event_log_partition (
  topic        text NOT NULL REFERENCES event_log_topic (topic),
  partition    integer NOT NULL CHECK (partition >= 0),
  next_offset  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (topic, partition)
);

CREATE TABLE IF NOT EXISTS event_log (
  topic        text NOT NULL,
  partition    integer NOT NULL,
  "offset"     bigint NOT NULL,
  key          text,
  value        bytea NOT NULL,
  headers      jsonb NOT NULL DEFAULT '{}'::jsonb,
  appended_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, "offset"),
  FOREIGN KEY (topic, partition) REFERENCES event_log_partition (topic, partition)
);

CREATE TABLE IF NOT EXISTS event_log_group_offset (
  group_id     text NOT NULL,
  topic        text NOT NULL,
  partition    integer NOT NULL,
  next_offset  bigint NOT NULL CHECK (next_offset >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition)
);
