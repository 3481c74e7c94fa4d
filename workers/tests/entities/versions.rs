//! Storing is idempotent and keeps the newest version; tenants are apart; the digest equals a
//! hash computed from the pages; dates keep their milliseconds.

use super::pages::*;

use serde_json::{Value, json};
use uuid::Uuid;
use xero_sync::digest::{digest, digest_query};
use xero_sync::entity::Entity;
use xero_sync::testing::TestDb;
use xero_sync_workers::entities::{accounts, contacts, invoices, journals};
use xero_sync_workers::line_digests;

// ---------------------------------------------------------------------------------------------
// Idempotence, duplicates, versions

#[tokio::test]
async fn storing_the_same_page_twice_rewrites_no_row() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let cases = [
        (
            accounts::ENTITY,
            page("Accounts", account_records()),
            vec!["accounts"],
        ),
        (
            contacts::ENTITY,
            page("Contacts", contact_records()),
            vec!["contacts"],
        ),
        (
            invoices::ENTITY,
            page("Invoices", invoice_records()),
            vec!["invoices", "invoice_line_items"],
        ),
        (
            journals::ENTITY,
            page("Journals", journal_records()),
            vec!["journals", "journal_lines"],
        ),
    ];
    for (entity, body, tables) in &cases {
        store(&db.pool, entity, tenant_id, body).await;
        let mut before = Vec::new();
        for table in tables {
            before.push(snapshot(&db.pool, table).await);
        }
        store(&db.pool, entity, tenant_id, body).await;
        for (table, before) in tables.iter().zip(&before) {
            assert_eq!(&snapshot(&db.pool, table).await, before, "{table} changed");
        }
    }
    Ok(())
}

#[tokio::test]
async fn an_edited_invoice_keeps_exactly_its_new_lines() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", invoice_records()),
    )
    .await;

    // Xero's edit: the second line removed, the first changed, a new line (new id) appended.
    let new_line = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let edited = invoice_a(
        "/Date(1551981600000+0000)/",
        vec![
            line(LINE_A1, "Guitars Fender Strat, relic", 147000.0),
            line(LINE_A3, "Strings", 0.0),
            line(new_line, "Case", 1062.76),
        ],
    );
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![edited]),
    )
    .await;

    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![
            (1, LINE_A1.to_owned()),
            (2, LINE_A3.to_owned()),
            (3, new_line.to_owned())
        ]
    );
    let first = typed(&db.pool, "invoice_line_items", "line_item_id", LINE_A1).await;
    assert_eq!(first["description"], "Guitars Fender Strat, relic");
    assert_eq!(first["line_amount"], json!(147000.0));
    // The other invoices' lines are untouched.
    assert_eq!(count(&db.pool, "invoice_line_items").await, 5);

    // An empty LineItems array from a paged response is the whole (empty) set of lines.
    let emptied = invoice_a("/Date(1551981700000+0000)/", vec![]);
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![emptied]),
    )
    .await;
    assert_eq!(line_ids(&db.pool, INV_A).await, vec![]);
    assert_eq!(count(&db.pool, "invoice_line_items").await, 2);
    Ok(())
}

#[tokio::test]
async fn an_invoice_sent_without_line_items_keeps_its_stored_lines() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", invoice_records()),
    )
    .await;

    let mut summary = invoice_a("/Date(1551981600000+0000)/", vec![]);
    summary.as_object_mut().unwrap().remove("LineItems");
    summary["Status"] = json!("VOIDED");
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![summary]),
    )
    .await;

    assert_eq!(
        typed(&db.pool, "invoices", "invoice_id", INV_A).await["status"],
        "VOIDED"
    );
    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![
            (1, LINE_A1.to_owned()),
            (2, LINE_A2.to_owned()),
            (3, LINE_A3.to_owned())
        ]
    );
    Ok(())
}

#[tokio::test]
async fn a_page_with_the_same_record_twice_keeps_its_newest_version() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;

    // The newest version comes first here, so "last wins" alone would be wrong.
    let newer = invoice_a(
        "/Date(1551981600000+0000)/",
        vec![line(LINE_A1, "New", 1.0)],
    );
    let older = invoice_a(
        "/Date(1551981568133+0000)/",
        vec![line(LINE_A2, "Old", 2.0), line(LINE_A3, "Old", 3.0)],
    );
    let mut records = vec![newer.clone(), older, newer.clone()];
    records.extend(invoice_records().into_iter().skip(1));
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", records),
    )
    .await;
    assert_eq!(count(&db.pool, "invoices").await, 3);
    assert_eq!(
        as_sent(&db.pool, "invoices", "invoice_id", INV_A).await,
        newer
    );
    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![(1, LINE_A1.to_owned())]
    );

    let mut contacts_page = contact_records();
    contacts_page.push(contact_records()[0].clone());
    store(
        &db.pool,
        &contacts::ENTITY,
        tenant_id,
        &page("Contacts", contacts_page),
    )
    .await;
    assert_eq!(count(&db.pool, "contacts").await, 3);

    let accounts_page = [account_records(), account_records()].concat();
    store(
        &db.pool,
        &accounts::ENTITY,
        tenant_id,
        &page("Accounts", accounts_page),
    )
    .await;
    assert_eq!(count(&db.pool, "accounts").await, 3);

    let journals_page = [journal_records(), journal_records()].concat();
    store(
        &db.pool,
        &journals::ENTITY,
        tenant_id,
        &page("Journals", journals_page),
    )
    .await;
    assert_eq!(count(&db.pool, "journals").await, 2);
    assert_eq!(count(&db.pool, "journal_lines").await, 3);
    Ok(())
}

#[tokio::test]
async fn an_older_version_never_overwrites_a_newer_one() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let newer = invoice_a(
        "/Date(1551981600000+0000)/",
        vec![line(LINE_A1, "New", 1.0)],
    );
    let older = invoice_a(
        "/Date(1551981568133+0000)/",
        vec![line(LINE_A2, "Old", 2.0)],
    );
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![newer.clone()]),
    )
    .await;
    store(
        &db.pool,
        &invoices::ENTITY,
        tenant_id,
        &page("Invoices", vec![older]),
    )
    .await;
    assert_eq!(
        as_sent(&db.pool, "invoices", "invoice_id", INV_A).await,
        newer
    );
    assert_eq!(
        line_ids(&db.pool, INV_A).await,
        vec![(1, LINE_A1.to_owned())]
    );

    // Same UpdatedDateUTC, other content: stored (Xero changes some fields without a bump).
    let mut balance_changed = contact_records()[0].clone();
    store(
        &db.pool,
        &contacts::ENTITY,
        tenant_id,
        &page("Contacts", vec![balance_changed.clone()]),
    )
    .await;
    balance_changed["IsSupplier"] = json!(false);
    store(
        &db.pool,
        &contacts::ENTITY,
        tenant_id,
        &page("Contacts", vec![balance_changed]),
    )
    .await;
    let stored = typed(
        &db.pool,
        "contacts",
        "contact_id",
        "5cc8cf28-567e-4d43-b287-687cfcaec47c",
    );
    assert_eq!(stored.await["is_supplier"], false);
    Ok(())
}

#[tokio::test]
async fn tenants_are_kept_apart_and_deleting_one_deletes_its_rows() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let first = tenant(&db.pool).await;
    let second = tenant(&db.pool).await;
    for tenant_id in [first, second] {
        store(
            &db.pool,
            &invoices::ENTITY,
            tenant_id,
            &page("Invoices", invoice_records()),
        )
        .await;
        store(
            &db.pool,
            &journals::ENTITY,
            tenant_id,
            &page("Journals", journal_records()),
        )
        .await;
    }
    assert_eq!(count(&db.pool, "invoice_line_items").await, 10);

    sqlx::query("DELETE FROM xero.tenants WHERE tenant_id = $1")
        .bind(first)
        .execute(&db.pool)
        .await?;
    for (table, rows) in [
        ("invoices", 3),
        ("invoice_line_items", 5),
        ("journals", 2),
        ("journal_lines", 3),
    ] {
        assert_eq!(count(&db.pool, table).await, rows, "{table}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Digest and dates

#[tokio::test]
async fn the_digest_equals_a_hash_computed_from_the_pages() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let other_tenant = tenant(&db.pool).await;

    let mut invoice_page = invoice_records();
    invoice_page.push(invoice_a("/Date(1551981600000+0000)/", vec![]));
    let cases: [(Entity, &str, Vec<Value>, Version); 4] = [
        (accounts::ENTITY, "AccountID", account_records(), updated_ms),
        (contacts::ENTITY, "ContactID", contact_records(), updated_ms),
        (invoices::ENTITY, "InvoiceID", invoice_page, updated_ms),
        (
            journals::ENTITY,
            "JournalID",
            journal_records(),
            journal_number,
        ),
    ];
    for (entity, id_field, records, version) in cases {
        let body = page(entity.collection, records.clone());
        store(&db.pool, &entity, tenant_id, &body).await;
        // Another tenant's rows must not count.
        store(
            &db.pool,
            &entity,
            other_tenant,
            &page(entity.collection, records[..1].to_vec()),
        )
        .await;
        let expected = expected_digest(&records, id_field, version);
        assert_eq!(
            digest(&db.pool, &entity, tenant_id).await?,
            expected,
            "{}",
            entity.name
        );
    }
    // The lines, as the simulator digests them: versioned by their invoice or journal. The
    // newest INV_A of the page has no lines, so its three older lines must be gone.
    let mut invoice_page = invoice_records();
    invoice_page.push(invoice_a("/Date(1551981600000+0000)/", vec![]));
    let expected = [
        expected_line_digest(
            &invoice_page,
            "InvoiceID",
            "LineItems",
            "LineItemID",
            updated_ms,
        ),
        expected_line_digest(
            &journal_records(),
            "JournalID",
            "JournalLines",
            "JournalLineID",
            journal_number,
        ),
    ];
    assert_eq!(expected[0].count, 2);
    for ((name, query), expected) in line_digests().iter().zip(expected) {
        assert_eq!(
            digest_query(&db.pool, query, tenant_id).await?,
            expected,
            "{name}"
        );
    }

    let empty = digest(&db.pool, &accounts::ENTITY, Uuid::new_v4()).await?;
    assert_eq!(empty, expected_digest(&[], "AccountID", updated_ms));
    assert_eq!(
        empty.digest,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    Ok(())
}

#[tokio::test]
async fn updated_date_utc_keeps_its_milliseconds_exactly() -> anyhow::Result<()> {
    let db = TestDb::new().await?;
    let tenant_id = tenant(&db.pool).await;
    let values = [
        1551981568133i64,
        0,
        -1,
        1,
        -1551981568133,
        999,
        -999,
        1_000,
        -86_400_001,
        253_402_300_799_999, // 9999-12-31T23:59:59.999Z
        -62_135_596_800_000, // 0001-01-01T00:00:00Z
    ];
    let records: Vec<Value> = values
        .iter()
        .map(|ms| {
            json!({
                "AccountID": Uuid::new_v4().to_string(),
                "Name": format!("at {ms}"),
                "UpdatedDateUTC": format!("/Date({ms}+0000)/"),
            })
        })
        .collect();
    store(
        &db.pool,
        &accounts::ENTITY,
        tenant_id,
        &page("Accounts", records.clone()),
    )
    .await;
    for (record, ms) in records.iter().zip(values) {
        let id = record["AccountID"].as_str().unwrap();
        let stored = typed(&db.pool, "accounts", "account_id", id).await;
        assert_eq!(stored["updated_date_utc"], json!(ms), "{ms}");
    }

    // And every millisecond of a few sweeps, through the same SQL functions the upserts use.
    let mismatches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
             SELECT ms FROM generate_series(-200000, 200000) AS ms
             UNION ALL SELECT 1551981568133 + ms FROM generate_series(-100000, 100000) AS ms
             UNION ALL SELECT -1551981568133 + ms FROM generate_series(-100000, 100000) AS ms
             UNION ALL SELECT (random() * 4e12)::bigint - 2e12 FROM generate_series(1, 100000)
         ) AS t
         WHERE xero.epoch_ms(xero.ms_timestamp('/Date(' || ms || '+0000)/')) <> ms",
    )
    .fetch_one(&db.pool)
    .await?;
    assert_eq!(mismatches, 0);
    Ok(())
}
