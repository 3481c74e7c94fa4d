-- The digest's (id, version) of every stored journal line of tenant $1, as the simulator's
-- `journal_lines` digest: the line's id, and its journal's JournalNumber.
SELECT jl.journal_line_id::text AS id, j.journal_number AS version
FROM xero.journal_lines AS jl
JOIN xero.journals AS j ON j.tenant_id = jl.tenant_id AND j.journal_id = jl.journal_id
WHERE jl.tenant_id = $1
