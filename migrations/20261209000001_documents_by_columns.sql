-- The transaction documents other than invoices (credit notes, purchase orders, overpayments,
-- prepayments, bank transactions, quotes, receipts) are stored by columns, as journals are:
-- decoded by the workers (workers/src/documents.rs) and sent as typed arrays, so Postgres parses
-- no JSON but what it keeps as `jsonb`. Measured with 200 organisations against the app's
-- limit, the JSON-reading statement (xero.upsert_documents) was about a fifth of Postgres's
-- time: the body parsed at every call, the statement planned from text at every call, and a
-- row trigger rewriting each line's `raw`. What the tables hold does not change: a header's
-- `raw` is the record but its lines, a line's `raw` what none of its columns holds.

-- The document kinds stored so (their tables: `xero.<kind>` and `xero.<kind>_line_items`).
CREATE FUNCTION xero.document_kinds() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['credit_notes', 'purchase_orders', 'overpayments', 'prepayments',
                 'bank_transactions', 'quotes', 'receipts']
$$;

-- A line arrives with `raw` already holding only what no column holds.
DO $$
DECLARE
    kind text;
BEGIN
    FOREACH kind IN ARRAY xero.document_kinds()
    LOOP
        EXECUTE format('DROP TRIGGER %I ON xero.%I', kind || '_line_items_keep_untyped',
                       kind || '_line_items');
        -- No per-row foreign key on the lines (a query and a row lock per line): their
        -- statement locks the tenant's row once, as journals' do, and deleting a tenant
        -- deletes them by the trigger below.
        EXECUTE format('ALTER TABLE xero.%I DROP CONSTRAINT %I', kind || '_line_items',
                       kind || '_line_items_tenant_id_fkey');
    END LOOP;
END
$$;

DROP FUNCTION xero.upsert_documents(text, text, text, text, text, uuid, jsonb);

CREATE FUNCTION xero.delete_tenant_document_lines() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    FOREACH kind IN ARRAY xero.document_kinds()
    LOOP
        EXECUTE format('DELETE FROM xero.%I AS l USING gone WHERE l.tenant_id = gone.tenant_id',
                       kind || '_line_items');
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_delete_document_lines AFTER DELETE ON xero.tenants
    REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION xero.delete_tenant_document_lines();

-- Stores the headers of one batch of documents of `kind` (keyed by `id_column`): one array per
-- column, a document per index, each document once (documents.rs keeps of a record sent twice
-- the newest, then the last). An identical record rewrites nothing, and an older version never
-- overwrites a newer one. Returns the headers written.
CREATE FUNCTION xero.store_document_headers(
    kind text, id_column text, tenant uuid,
    ids uuid[], types text[], numbers text[], refs text[], contact_ids uuid[], statuses text[],
    line_amount_types text[], dates date[], sub_totals numeric[], total_taxes numeric[],
    totals numeric[], remaining_credits numeric[], currency_codes text[],
    currency_rates numeric[], bank_account_ids uuid[], reconciled boolean[],
    updated timestamptz[], raws jsonb[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    written bigint;
BEGIN
    EXECUTE format($sql$
        INSERT INTO xero.%1$I AS t (
            tenant_id, %2$I, type, number, reference, contact_id, status, line_amount_types,
            date, sub_total, total_tax, total, remaining_credit, currency_code, currency_rate,
            bank_account_id, is_reconciled, updated_date_utc, raw
        )
        SELECT $1, d.*
        FROM unnest($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                    $18, $19) AS d
        ON CONFLICT (tenant_id, %2$I) DO UPDATE SET
            type = excluded.type,
            number = excluded.number,
            reference = excluded.reference,
            contact_id = excluded.contact_id,
            status = excluded.status,
            line_amount_types = excluded.line_amount_types,
            date = excluded.date,
            sub_total = excluded.sub_total,
            total_tax = excluded.total_tax,
            total = excluded.total,
            remaining_credit = excluded.remaining_credit,
            currency_code = excluded.currency_code,
            currency_rate = excluded.currency_rate,
            bank_account_id = excluded.bank_account_id,
            is_reconciled = excluded.is_reconciled,
            updated_date_utc = excluded.updated_date_utc,
            raw = excluded.raw,
            synced_at = now()
        WHERE t.raw IS DISTINCT FROM excluded.raw
          AND coalesce(t.updated_date_utc <= excluded.updated_date_utc, true)
    $sql$, kind, id_column)
    USING tenant, ids, types, numbers, refs, contact_ids, statuses, line_amount_types, dates,
          sub_totals, total_taxes, totals, remaining_credits, currency_codes, currency_rates,
          bank_account_ids, reconciled, updated, raws;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;

-- Makes the stored lines of each document of a batch exactly the lines sent. Runs after
-- xero.store_document_headers. `docs` are the documents sent with a `LineItems` array (one
-- sent without keeps its stored lines: absence means "not sent", not "no lines"), with their
-- `UpdatedDateUTC` in `docs_updated`; a document's lines are stored only when its stored
-- version is the one sent (the same `UpdatedDateUTC`: the headers' statement has just written
-- it unless a newer one was stored), so lines of an older version never replace newer ones.
-- Then one array per line column, a line per index; a line without an id is keyed by its
-- document and position. Returns the lines written.
CREATE FUNCTION xero.store_document_lines(
    kind text, id_column text, tenant uuid, docs uuid[], docs_updated timestamptz[],
    line_ids uuid[], parents uuid[], line_numbers integer[], descriptions text[],
    quantities numeric[], unit_amounts numeric[], item_codes text[], account_codes text[],
    account_ids uuid[], tax_types text[], tax_amounts numeric[], line_amounts numeric[],
    trackings jsonb[], raws jsonb[]
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    written bigint;
BEGIN
    -- One statement: the DELETE of lines no longer present and the upsert of the present ones
    -- act on disjoint rows (a line is deleted only if its id is nowhere in the batch's lines).
    -- Stored versions and lines are found by an index lookup per document (the lateral
    -- subqueries, kept apart by OFFSET 0) whatever the tables' statistics say.
    EXECUTE format($sql$
        WITH tenant AS (
            SELECT tenant_id FROM xero.tenants WHERE tenant_id = $1 FOR KEY SHARE
        ),
        doc AS (
            SELECT stored.id
            FROM unnest($2, $3) AS sent(id, updated)
            CROSS JOIN LATERAL (
                SELECT s.%2$I AS id FROM xero.%1$I AS s
                WHERE s.tenant_id = $1 AND s.%2$I = sent.id
                  AND s.updated_date_utc IS NOT DISTINCT FROM sent.updated
                OFFSET 0
            ) AS stored
        ),
        line AS (
            -- A line id sent under two documents is kept once (as before: under the first
            -- document by id, its last place).
            SELECT DISTINCT ON (k.line_item_id) k.line_item_id, l.*
            FROM unnest($4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                AS l(id, parent, n, description, quantity, unit_amount, item_code,
                     account_code, account_id, tax_type, tax_amount, line_amount, tracking,
                     raw)
            JOIN doc ON doc.id = l.parent
            CROSS JOIN LATERAL (
                SELECT coalesce(l.id, md5(l.parent::text || '/' || l.n)::uuid) AS line_item_id
            ) AS k
            ORDER BY k.line_item_id, l.parent, l.n DESC
        ),
        removed AS (
            DELETE FROM xero.%3$I AS old
            WHERE old.ctid = ANY (ARRAY(
                SELECT stored.ctid
                FROM doc
                CROSS JOIN LATERAL (
                    SELECT l.ctid, l.line_item_id FROM xero.%3$I AS l
                    WHERE l.tenant_id = $1 AND l.%2$I = doc.id
                    OFFSET 0
                ) AS stored
                -- NOT IN over a CTE becomes a hashed lookup. Ids are never NULL.
                WHERE stored.line_item_id NOT IN (SELECT line.line_item_id FROM line)))
        )
        INSERT INTO xero.%3$I AS t (
            tenant_id, line_item_id, %2$I, line_number, description, quantity, unit_amount,
            item_code, account_code, account_id, tax_type, tax_amount, line_amount, tracking,
            raw
        )
        SELECT tenant.tenant_id, line_item_id, parent, n, description, quantity, unit_amount,
               item_code, account_code, account_id, tax_type, tax_amount, line_amount,
               tracking, raw
        FROM tenant, line
        ON CONFLICT (tenant_id, line_item_id) DO UPDATE SET
            %2$I = excluded.%2$I,
            line_number = excluded.line_number,
            description = excluded.description,
            quantity = excluded.quantity,
            unit_amount = excluded.unit_amount,
            item_code = excluded.item_code,
            account_code = excluded.account_code,
            account_id = excluded.account_id,
            tax_type = excluded.tax_type,
            tax_amount = excluded.tax_amount,
            line_amount = excluded.line_amount,
            tracking = excluded.tracking,
            raw = excluded.raw,
            synced_at = now()
        WHERE (t.%2$I, t.line_number, t.description, t.quantity, t.unit_amount, t.item_code,
               t.account_code, t.account_id, t.tax_type, t.tax_amount, t.line_amount,
               t.tracking, t.raw)
              IS DISTINCT FROM
              (excluded.%2$I, excluded.line_number, excluded.description, excluded.quantity,
               excluded.unit_amount, excluded.item_code, excluded.account_code,
               excluded.account_id, excluded.tax_type, excluded.tax_amount,
               excluded.line_amount, excluded.tracking, excluded.raw)
    $sql$, kind, id_column, kind || '_line_items')
    USING tenant, docs, docs_updated, line_ids, parents, line_numbers, descriptions, quantities,
          unit_amounts, item_codes, account_codes, account_ids, tax_types, tax_amounts,
          line_amounts, trackings, raws;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;
