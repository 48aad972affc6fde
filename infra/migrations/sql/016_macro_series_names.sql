-- Macro series are named after Tushare's columns (`shibor.1m`, the column as Tushare serves it),
-- not after the catalog's Avro-safe field names (`shibor.m1`). Stored rows are renamed, and their
-- content hash is recomputed as the processor computes it (processors/normalize/hash.ts: sha256 of
-- the canonical JSON of the row's values, keys sorted, numbers in their shortest round-trip form),
-- so a later fetch of an unchanged value is a duplicate, not a revision. PostgreSQL prints a
-- float8 in its shortest round-trip form too, except in exponent notation, where its format and
-- JavaScript's differ: such a row keeps its hash, and its next fetch counts once as a revision.
SET LOCAL extra_float_digits = 1;

WITH renames (old_series, new_series) AS (
  VALUES ('shibor.w1', 'shibor.1w'),
         ('shibor.w2', 'shibor.2w'),
         ('shibor.m1', 'shibor.1m'),
         ('shibor.m3', 'shibor.3m'),
         ('shibor.m6', 'shibor.6m'),
         ('shibor.m9', 'shibor.9m'),
         ('shibor.y1', 'shibor.1y')
)
UPDATE macro_observation m
   SET series = r.new_series,
       content_hash = CASE
         WHEN m.value IS NULL OR m.value::text ~ '[eEIN]' THEN m.content_hash
         ELSE sha256(convert_to(
           '[{"table":"macro_observation","values":{'
           || '"available_date":' || to_json(to_char(m.available_date, 'YYYY-MM-DD'))::text
           || ',"period":' || to_json(m.period)::text
           || ',"period_end":' || to_json(to_char(m.period_end, 'YYYY-MM-DD'))::text
           || ',"series":' || to_json(r.new_series)::text
           || ',"source_api":' || to_json(m.source_api)::text
           || ',"value":' || m.value::text
           || '}}]',
           'UTF8'))
       END,
       updated_at = now()
  FROM renames r
 WHERE m.series = r.old_series;
