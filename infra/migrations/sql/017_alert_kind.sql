-- AlertResolved (a control event of its own) closes an alert; before it, a close was an AlertRaised
-- of severity 'info' whose message starts 'resolved:'. The alert projection says which a row is, so
-- readers stop parsing messages; rows the older convention wrote are marked as what they were.
ALTER TABLE alert ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'raised'
  CHECK (kind IN ('raised', 'resolved'));
UPDATE alert SET kind = 'resolved' WHERE severity = 'info' AND message LIKE 'resolved:%';
