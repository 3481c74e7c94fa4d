-- The transaction documents with line items that are not invoices (credit notes, purchase
-- orders, overpayments, prepayments, bank transactions) share one shape: a table of headers
-- (the columns common to Xero's documents are typed; some stay empty for some kinds; `raw`
-- holds the whole record) and a table of their line items. They are created, and stored, by
-- the two functions below, so that shape is written once. Conventions: see
-- 20261124000010_accounts.sql and, for the lines, 20261124000012_invoices.sql.

-- Creates `xero.<kind>` keyed by `<id_column>` and `xero.<kind>_line_items`.
CREATE FUNCTION xero.create_document_tables(kind text, id_column text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($ddl$
        CREATE TABLE xero.%1$I (
            tenant_id         uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
            %2$I              uuid NOT NULL,
            type              text,
            number            text,
            reference         text,
            contact_id        uuid,
            status            text,
            line_amount_types text,
            date              date,
            sub_total         numeric,
            total_tax         numeric,
            total             numeric,
            remaining_credit  numeric,
            currency_code     text,
            currency_rate     numeric,
            bank_account_id   uuid,
            is_reconciled     boolean,
            updated_date_utc  timestamptz,
            raw               jsonb NOT NULL,
            synced_at         timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, %2$I)
        );
        CREATE INDEX %3$I ON xero.%1$I (tenant_id, updated_date_utc);
        CREATE INDEX %4$I ON xero.%1$I (tenant_id, contact_id);
        CREATE TABLE xero.%5$I (
            tenant_id    uuid NOT NULL REFERENCES xero.tenants ON DELETE CASCADE,
            line_item_id uuid NOT NULL,
            %2$I         uuid NOT NULL,
            line_number  integer NOT NULL,
            description  text,
            quantity     numeric,
            unit_amount  numeric,
            item_code    text,
            account_code text,
            account_id   uuid,
            tax_type     text,
            tax_amount   numeric,
            line_amount  numeric,
            tracking     jsonb,
            raw          jsonb NOT NULL,
            synced_at    timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, line_item_id)
        );
        CREATE INDEX %6$I ON xero.%5$I (tenant_id, %2$I);
    $ddl$, kind, id_column, kind || '_tenant_updated', kind || '_tenant_contact',
       kind || '_line_items', kind || '_line_items_parent');
END
$$;

-- Stores one batch of documents of `kind`: the headers, then each stored version's lines
-- exactly (as invoices.upsert.sql and invoices.line_items.sql do for invoices). `body` holds
-- the records under `collection`, each keyed by `id_field` and numbered by `number_field`
-- (NULL: the kind has no number). Of a record sent twice the newest (then the last) is kept;
-- an identical record rewrites nothing and an older version never overwrites a newer one. A
-- record without `LineItems` keeps its stored lines. Returns the headers written.
CREATE FUNCTION xero.upsert_documents(
    kind text, id_column text, collection text, id_field text, number_field text,
    tenant uuid, body jsonb
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
        SELECT DISTINCT ON (k.id)
            $1, k.id, r ->> 'Type', r ->> %5$L, r ->> 'Reference',
            nullif(r -> 'Contact' ->> 'ContactID', '')::uuid,
            r ->> 'Status', r ->> 'LineAmountTypes', xero.ms_date(r ->> 'Date'),
            nullif(r ->> 'SubTotal', '')::numeric, nullif(r ->> 'TotalTax', '')::numeric,
            nullif(r ->> 'Total', '')::numeric, nullif(r ->> 'RemainingCredit', '')::numeric,
            r ->> 'CurrencyCode', nullif(r ->> 'CurrencyRate', '')::numeric,
            nullif(r -> 'BankAccount' ->> 'AccountID', '')::uuid,
            (r ->> 'IsReconciled')::boolean, k.updated, r
        FROM jsonb_array_elements(coalesce($2 -> %3$L, '[]')) WITH ORDINALITY AS e(r, n),
            LATERAL (SELECT (r ->> %4$L)::uuid AS id,
                            xero.ms_timestamp(r ->> 'UpdatedDateUTC') AS updated) AS k
        WHERE k.id IS NOT NULL
        ORDER BY k.id, k.updated DESC NULLS LAST, n DESC
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
    $sql$, kind, id_column, collection, id_field, coalesce(number_field, ''))
    USING tenant, body;
    GET DIAGNOSTICS written = ROW_COUNT;
    -- The lines of the versions just kept (stored `raw` = the batch's record). One statement:
    -- the DELETE of lines no longer present and the upsert act on disjoint rows.
    EXECUTE format($sql$
        WITH doc AS (
            SELECT DISTINCT ON (d.%2$I) d.%2$I AS id, r -> 'LineItems' AS lines
            FROM jsonb_array_elements(coalesce($2 -> %3$L, '[]')) AS e(r)
            JOIN xero.%1$I AS d
              ON d.tenant_id = $1 AND d.%2$I = (r ->> %4$L)::uuid AND d.raw = r
            WHERE jsonb_typeof(r -> 'LineItems') = 'array'
        ),
        line AS (
            SELECT DISTINCT ON (line_item_id) doc.id, l.n AS line_number, l.v, line_item_id
            FROM doc
            CROSS JOIN LATERAL jsonb_array_elements(doc.lines) WITH ORDINALITY AS l(v, n)
            CROSS JOIN LATERAL (
                SELECT coalesce(nullif(l.v ->> 'LineItemID', '')::uuid,
                                md5(doc.id::text || '/' || l.n)::uuid) AS line_item_id
            ) AS k
            ORDER BY line_item_id, doc.id, l.n DESC
        ),
        removed AS (
            DELETE FROM xero.%5$I AS old
            USING doc
            WHERE old.tenant_id = $1
              AND old.%2$I = doc.id
              AND old.line_item_id NOT IN (SELECT line.line_item_id FROM line)
        )
        INSERT INTO xero.%5$I AS t (
            tenant_id, line_item_id, %2$I, line_number, description, quantity, unit_amount,
            item_code, account_code, account_id, tax_type, tax_amount, line_amount, tracking,
            raw
        )
        SELECT
            $1, line_item_id, id, line_number, v ->> 'Description',
            nullif(v ->> 'Quantity', '')::numeric, nullif(v ->> 'UnitAmount', '')::numeric,
            v ->> 'ItemCode', v ->> 'AccountCode', nullif(v ->> 'AccountID', '')::uuid,
            v ->> 'TaxType', nullif(v ->> 'TaxAmount', '')::numeric,
            nullif(v ->> 'LineAmount', '')::numeric, v -> 'Tracking', v
        FROM line
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
        WHERE t.raw IS DISTINCT FROM excluded.raw
           OR t.%2$I IS DISTINCT FROM excluded.%2$I
           OR t.line_number IS DISTINCT FROM excluded.line_number
    $sql$, kind, id_column, collection, id_field, kind || '_line_items')
    USING tenant, body;
    RETURN written;
END
$$;
