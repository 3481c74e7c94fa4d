//! Test support shared by every crate's tests: a fresh, migrated database per test, so tests run
//! in parallel against the real Postgres without seeing each other.

use sqlx::PgPool;

/// Where tests find Postgres: `TEST_DATABASE_URL`, or the local server CI starts.
pub const DEFAULT_TEST_SERVER: &str = "postgres://postgres@127.0.0.1:5432";

/// A database created for one test and dropped when the value is dropped.
pub struct TestDb {
    /// A pool on the fresh, migrated database.
    pub pool: PgPool,
    /// The URL of the fresh database (for processes started by the test).
    pub url: String,
    name: String,
    server: String,
}

impl TestDb {
    /// Creates and migrates a database with a unique name.
    pub async fn new() -> anyhow::Result<TestDb> {
        let db = Self::empty().await?;
        crate::db::migrate(&db.pool).await?;
        Ok(db)
    }

    /// Creates a database with a unique name without migrating it.
    pub async fn empty() -> anyhow::Result<TestDb> {
        let server =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_TEST_SERVER.to_owned());
        let name = format!("xero_sync_test_{}", uuid::Uuid::new_v4().simple());
        let url = format!("{server}/{name}");
        let pool = crate::db::connect(&url, 20).await?;
        Ok(TestDb {
            pool,
            url,
            name,
            server,
        })
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Drop runs outside any runtime guarantee, so the cleanup gets a thread and a runtime of
        // its own. A database left behind by a crashed test is harmless: names never repeat.
        let server = self.server.clone();
        let name = self.name.clone();
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(admin) = PgPool::connect(&format!("{server}/postgres")).await {
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&admin)
                    .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}
