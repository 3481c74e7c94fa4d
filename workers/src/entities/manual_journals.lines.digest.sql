-- The digest's (id, version) of every stored manual journal line of tenant $1, as the
-- simulator's `manual_journal_lines` digest: the line's key (the first 16 bytes of
-- SHA-256("{journal id}/{line number}") as a uuid, lines having no Xero id) and its amount in
-- cents.
SELECT encode(substr(sha256(convert_to(manual_journal_id::text || '/' || line_number, 'UTF8')),
                     1, 16), 'hex')::uuid::text AS id,
       round(line_amount * 100)::bigint AS version
FROM xero.manual_journal_lines
WHERE tenant_id = $1
