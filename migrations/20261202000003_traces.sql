-- A run reads as one trace: its span's W3C traceparent, set by its first batch and read by
-- every later one (whichever replica runs it). NULL when no trace is exported.
ALTER TABLE xero.sync_log ADD COLUMN traceparent text;
