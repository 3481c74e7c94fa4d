//! The receiver alone: what it answers, and what it keeps.

use serde_json::json;
use uuid::Uuid;
use xero_sync::testing::TestDb;
use xero_sync::webhooks::signature::sign;
use xero_sync_workers::registry;

use super::{KEY, delivery, event, post, post_signed, receiver, stored};

/// A migrated database with one connected tenant (rows only: no Xero needed to receive).
async fn database() -> (TestDb, Uuid) {
    let db = TestDb::new().await.unwrap();
    xero_sync::db::prepare(&db.pool, registry()).await.unwrap();
    let tenant = Uuid::new_v4();
    sqlx::query(
        "WITH c AS (INSERT INTO xero.connections (grant_type) VALUES ('authorization_code')
                    RETURNING connection_id)
         INSERT INTO xero.tenants (tenant_id, connection_id, tenant_name)
         SELECT $1, connection_id, 'Demo' FROM c",
    )
    .bind(tenant)
    .execute(&db.pool)
    .await
    .unwrap();
    (db, tenant)
}

/// `sign`, with one character changed, as Xero's handshake mis-signs.
fn off_by_one(body: &[u8]) -> String {
    let mut signature = sign(KEY, body).into_bytes();
    signature[5] = if signature[5] == b'x' { b'y' } else { b'x' };
    String::from_utf8(signature).unwrap()
}

#[tokio::test]
async fn the_intent_to_receive_handshake_passes_with_empty_bodies_and_no_cookies() {
    let (db, _) = database().await;
    let (url, _task) = receiver(db.pool.clone()).await;
    let probe = br#"{"events":[],"firstEventSequence": 0,"lastEventSequence": 0,"entropy":"ZQFTHVXPVQKSVCFIRHDY"}"#.to_vec();
    let started = std::time::Instant::now();
    let good = post_signed(&url, probe.clone()).await;
    assert_eq!((good.status, good.body.len(), good.cookie), (200, 0, false));
    let bad = post(&url, probe.clone(), Some(off_by_one(&probe))).await;
    assert_eq!((bad.status, bad.body.len(), bad.cookie), (401, 0, false));
    // The key is the portal's string: signing with its base64 decoding fails.
    let decoded = String::from_utf8_lossy(&base64_decode(KEY)).into_owned();
    let decoded_signed = post(&url, probe.clone(), Some(sign(&decoded, &probe))).await;
    assert_eq!(decoded_signed.status, 401);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let intents: i64 =
        sqlx::query_scalar("SELECT count(*) FROM xero.webhook_deliveries WHERE intent")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        intents, 1,
        "the correctly signed probe is recorded (webhooks arrive)"
    );
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

#[tokio::test]
async fn bad_missing_truncated_oversized_and_non_json_deliveries_are_refused_and_nothing_kept() {
    let (db, tenant) = database().await;
    let (url, _task) = receiver(db.pool.clone()).await;
    let body = delivery(
        vec![event(
            tenant,
            "INVOICE",
            Uuid::new_v4(),
            "2026-12-03T10:00:00.123",
        )],
        1,
    );
    assert_eq!(
        post(&url, body.clone(), None).await.status,
        401,
        "no signature"
    );
    assert_eq!(
        post(&url, body.clone(), Some(off_by_one(&body)))
            .await
            .status,
        401
    );
    let signature = sign(KEY, &body);
    let truncated = body[..body.len() / 2].to_vec();
    assert_eq!(
        post(&url, truncated, Some(signature)).await.status,
        401,
        "truncated"
    );
    let garbage = b"events=1".to_vec();
    assert_eq!(post_signed(&url, garbage).await.status, 400, "not JSON");
    let huge = vec![b' '; xero_sync::webhooks::MAX_BODY + 1];
    assert_eq!(post_signed(&url, huge).await.status, 413, "too large");
    assert_eq!(stored(&db.pool).await, vec![], "nothing is kept");
}

#[tokio::test]
async fn a_delivery_is_stored_once_however_often_xero_sends_it() {
    let (db, tenant) = database().await;
    let (url, _task) = receiver(db.pool.clone()).await;
    let invoice = Uuid::new_v4();
    let body = delivery(
        vec![event(tenant, "INVOICE", invoice, "2026-12-03T10:00:00.123")],
        7,
    );
    let first = post_signed(&url, body.clone()).await;
    assert_eq!((first.status, first.body.len()), (200, 0));
    let replay = post_signed(&url, body.clone()).await;
    assert_eq!(replay.status, 200);
    assert_eq!(
        stored(&db.pool).await,
        vec![(tenant, "INVOICE".into(), true, false)]
    );
    let date: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT event_date FROM xero.webhook_events")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        date.to_rfc3339(),
        "2026-12-03T10:00:00.123+00:00",
        "a zone-less date is UTC"
    );
    let duplicates: Vec<i32> =
        sqlx::query_scalar("SELECT duplicates FROM xero.webhook_deliveries ORDER BY delivery_id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(duplicates, [0, 1]);
    let jobs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM apalis.jobs WHERE xero.job_payload(job) ? 'webhooks_of'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(jobs >= 1, "a job follows the events");
}

#[tokio::test]
async fn events_of_unknown_tenants_and_unknown_categories_are_recorded_and_not_followed() {
    let (db, tenant) = database().await;
    let (url, _task) = receiver(db.pool.clone()).await;
    let stranger = Uuid::new_v4();
    let subscription = json!({"eventCategory": "SUBSCRIPTION", "eventType": "UPDATE",
        "tenantId": tenant, "resourceId": Uuid::new_v4(), "eventDateUtc": "2026-12-03T09:00:00"});
    let body = delivery(
        vec![
            event(stranger, "INVOICE", Uuid::new_v4(), "2026-12-03T10:00:00"),
            event(
                tenant,
                "QUOTE_SOMETHING_NEW",
                Uuid::new_v4(),
                "2026-12-03T10:00:01",
            ),
            subscription,
        ],
        3,
    );
    assert_eq!(post_signed(&url, body).await.status, 200);
    let kept = stored(&db.pool).await;
    assert_eq!(kept.len(), 3, "{kept:?}");
    assert!(kept.contains(&(stranger, "INVOICE".into(), false, false)));
    let followed: Vec<String> = sqlx::query_scalar(
        "SELECT xero.job_payload(job) ->> 'webhooks_of' FROM apalis.jobs
          WHERE xero.job_payload(job) ? 'webhooks_of'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        followed,
        [tenant.to_string()],
        "only the connected tenant's events are followed"
    );
}

#[tokio::test]
async fn a_database_that_cannot_take_a_delivery_gets_it_again_from_xeros_retry() {
    let (db, tenant) = database().await;
    let (url, _task) = receiver(db.pool.clone()).await;
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let admin_url = format!("{}/postgres", db.url.rsplit_once('/').unwrap().0);
    let admin = xero_sync::db::connect(&admin_url, 1).await.unwrap();
    let set_allow = |allow: bool| format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {allow}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(set_allow(false)))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&admin)
        .await
        .unwrap();
    let body = delivery(
        vec![event(
            tenant,
            "CONTACT",
            Uuid::new_v4(),
            "2026-12-03T11:00:00",
        )],
        9,
    );
    let refused = post_signed(&url, body.clone()).await;
    assert_eq!(refused.status, 503, "never 200 for an event not kept");
    sqlx::raw_sql(sqlx::AssertSqlSafe(set_allow(true)))
        .execute(&admin)
        .await
        .unwrap();
    let retried = post_signed(&url, body).await;
    assert_eq!(retried.status, 200);
    assert_eq!(
        stored(&db.pool).await.len(),
        1,
        "the retry's event is there, once"
    );
}
