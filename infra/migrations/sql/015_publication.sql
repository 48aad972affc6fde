-- Revisions per endpoint and trade date (README, "Publication states"): how many stored rows of a
-- day a later fetch changed. The processor adds to it in the transaction that writes the revised
-- rows, so it is a projection of the raw events, exactly once like the rows themselves. With the
-- matrix's expected and stored counts it makes the day's publication state: not_published,
-- partial, complete or revised.
CREATE TABLE IF NOT EXISTS publication_revision (
  api_name          text NOT NULL,
  trade_date        date NOT NULL,
  revisions         integer NOT NULL CHECK (revisions > 0),
  first_revised_at  timestamptz NOT NULL DEFAULT now(),
  last_revised_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (api_name, trade_date)
);
