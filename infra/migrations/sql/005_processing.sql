-- fut_wsr: the catalog's natural key is (trade_date, symbol, warehouse, year, grade, brand), because
-- some exchanges list one warehouse once per year, grade and brand; a key without them would merge
-- distinct rows. Exchanges that do not use a part serve null; the processors store '' (a key
-- column cannot be null). The columns 002 left out are added so no served value is dropped.
ALTER TABLE fut_wsr ADD COLUMN IF NOT EXISTS pre_vol double precision;
ALTER TABLE fut_wsr ADD COLUMN IF NOT EXISTS vol_chg double precision;
ALTER TABLE fut_wsr ADD COLUMN IF NOT EXISTS is_ct text;
UPDATE fut_wsr SET year = coalesce(year, ''), grade = coalesce(grade, ''), brand = coalesce(brand, '')
WHERE year IS NULL OR grade IS NULL OR brand IS NULL;
ALTER TABLE fut_wsr ALTER COLUMN year SET DEFAULT '';
ALTER TABLE fut_wsr ALTER COLUMN year SET NOT NULL;
ALTER TABLE fut_wsr ALTER COLUMN grade SET DEFAULT '';
ALTER TABLE fut_wsr ALTER COLUMN grade SET NOT NULL;
ALTER TABLE fut_wsr ALTER COLUMN brand SET DEFAULT '';
ALTER TABLE fut_wsr ALTER COLUMN brand SET NOT NULL;
ALTER TABLE fut_wsr DROP CONSTRAINT IF EXISTS fut_wsr_pkey;
ALTER TABLE fut_wsr ADD CONSTRAINT fut_wsr_pkey PRIMARY KEY (trade_date, symbol, warehouse, year, grade, brand);
