//! The database: connecting (creating the database when it does not exist yet) and migrating,
//! apalis's schema first and then ours, which guards `apalis.jobs`.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

mod error;
mod target;

pub use error::DbError;
pub use target::{SESSION_LIMITS, Target};

/// Connects a pool of at most `max_connections`, creating the database first if it is missing
/// (so the README's commands work on a fresh machine). Connections lost (a Postgres restart,
/// a terminated backend) are replaced on the next acquire.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    connect_to(&Target::direct(url), max_connections).await
}

/// [`connect`] to a [`Target`]: the database is created over its direct URL.
pub async fn connect_to(target: &Target, max_connections: u32) -> Result<PgPool, DbError> {
    // Behind a transaction-mode pooler with no direct URL the database must exist already.
    if target.reaches_postgres() {
        let (options, variable) = target.direct_options("creating the database")?;
        create_database_if_missing(&options, variable).await?;
    }
    pool(target.pooled_options()?, max_connections).await
}

/// Connects to a database that must exist and carry this binary's schema, creating and
/// migrating nothing: what the read-only commands (`status`, `entities`, `jobs`,
/// `connections`) use, so a mistyped name is an error naming it, not a new empty database.
pub async fn open(target: &Target, max_connections: u32) -> Result<PgPool, DbError> {
    let options = target.pooled_options()?;
    let name = options.get_database().unwrap_or("").to_owned();
    let pool = match pool(options.clone(), max_connections).await {
        Err(DbError::Connect { source, .. }) if is_missing_database(&source) => {
            return Err(DbError::NoDatabase {
                name,
                url: redacted(&options),
            });
        }
        other => other?,
    };
    // A table that does not exist fails a query naming it, even in a branch not taken.
    let migrated: bool =
        sqlx::query_scalar("SELECT to_regclass('public._sqlx_migrations') IS NOT NULL")
            .fetch_one(&pool)
            .await?;
    let applied: Option<i64> = if migrated {
        sqlx::query_scalar("SELECT max(version) FROM public._sqlx_migrations WHERE success")
            .fetch_one(&pool)
            .await?
    } else {
        None
    };
    let why = match applied {
        None => "has no xero-sync schema".to_owned(),
        Some(v) if v < latest_migration() => format!(
            "has an older schema than this binary (migration {v}, this binary's is {})",
            latest_migration()
        ),
        Some(_) => return Ok(pool),
    };
    Err(DbError::Unmigrated { name, why })
}

fn is_missing_database(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "3D000")
}

async fn pool(options: PgConnectOptions, max_connections: u32) -> Result<PgPool, DbError> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        // A connection whose backend was terminated fails its next query; checking before
        // handing one out keeps that error away from a batch after a database restart.
        .test_before_acquire(true)
        .connect_with(options.clone())
        .await
        .map_err(|source| DbError::Connect {
            url: redacted(&options),
            variable: "DATABASE_URL",
            source,
        })
}

async fn create_database_if_missing(
    options: &PgConnectOptions,
    variable: &'static str,
) -> Result<(), DbError> {
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let admin = options.clone().database("postgres");
    let mut conn = admin.connect().await.map_err(|source| DbError::Connect {
        url: redacted(options),
        variable,
        source,
    })?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        // Two replicas may race here; losing the race is fine.
        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {quoted}")))
            .execute(&mut conn)
            .await
        {
            let duplicate = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04" || c == "23505");
            if !duplicate {
                return Err(e.into());
            }
        }
    }
    conn.close().await?;
    Ok(())
}

fn redacted(options: &PgConnectOptions) -> String {
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    )
}

/// Our migrations, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The version of the newest migration this binary carries (what `/readyz` expects applied).
pub fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Runs apalis's migrations, then ours. Both migrators hold Postgres's advisory lock while they
/// run, so replicas starting together migrate once; re-running is a no-op.
pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    let mut conn = pool.acquire().await?;
    // Waiting for another replica's migrations may take longer than the session limits allow.
    sqlx::raw_sql("SET statement_timeout = 0; SET lock_timeout = 0")
        .execute(&mut *conn)
        .await?;
    let migrated = async {
        apalis_postgres::PostgresStorage::<()>::migrations()
            .run(&mut *conn)
            .await
            .map_err(|e| DbError::Migrate(format!("apalis schema: {e}")))?;
        MIGRATOR
            .run(&mut *conn)
            .await
            .map_err(|e| DbError::Migrate(e.to_string()))?;
        // Tables a migration added are readable by the reader role too.
        sqlx::query("SELECT xero.apply_grants()")
            .execute(&mut *conn)
            .await
            .map_err(|e| DbError::Migrate(format!("grants: {e}")))?;
        Ok::<(), DbError>(())
    }
    .await;
    // The connection goes back to the pool: restore what every connection promises.
    let restored = sqlx::raw_sql("RESET statement_timeout; RESET lock_timeout")
        .execute(&mut *conn)
        .await;
    migrated?;
    restored?;
    Ok(())
}

/// Records the deployment's choice of entities (`SYNC_ENTITIES`): `names` are synced by
/// `entity => 'all'`, by `sync` without `--entity` and by a new connection's first runs; the
/// others stay registered, so a run of one can still be requested for any tenant.
pub async fn choose_entities(pool: &PgPool, names: &[&str]) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE xero.entities
            SET enabled = (name = ANY($1)),
                enabled_since = CASE WHEN NOT enabled AND name = ANY($1) THEN now()
                                     ELSE enabled_since END",
    )
    .bind(names)
    .execute(pool)
    .await?;
    Ok(())
}

/// The entities this deployment syncs, in registry order.
pub async fn enabled_entities(pool: &PgPool) -> Result<Vec<String>, DbError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM xero.entities WHERE enabled ORDER BY position")
            .fetch_all(pool)
            .await?,
    )
}

/// Migrates, then records the deployment's entities in `xero.entities` (in registry order), so
/// `xero.request_sync` can validate its argument and list what is valid.
pub async fn prepare(pool: &PgPool, registry: &[crate::entity::Entity]) -> Result<(), DbError> {
    migrate(pool).await?;
    register(pool, registry).await
}

/// [`prepare`] for a [`Target`]: migrations run over its direct URL when the pool's is not one
/// (they hold a session's advisory lock).
pub async fn prepare_target(
    pool: &PgPool,
    target: &Target,
    registry: &[crate::entity::Entity],
) -> Result<(), DbError> {
    if target.separate_direct() {
        let (options, variable) = target.direct_options("migrating the database")?;
        let direct = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|source| DbError::Connect {
                url: redacted(&options),
                variable,
                source,
            })?;
        migrate(&direct).await?;
        direct.close().await;
    } else {
        migrate(pool).await?;
    }
    register(pool, registry).await
}

/// Records the deployment's entities in `xero.entities`.
async fn register(pool: &PgPool, registry: &[crate::entity::Entity]) -> Result<(), DbError> {
    let names: Vec<&str> = registry.iter().map(|e| e.name).collect();
    // A deprecated entity starts off; an entity already recorded keeps the deployment's choice.
    let enabled: Vec<bool> = registry.iter().map(|e| e.deprecated.is_none()).collect();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM xero.entities WHERE name <> ALL($1)")
        .bind(&names)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO xero.entities (name, position, enabled)
         SELECT name, position, enabled
           FROM unnest($1::text[], $2::boolean[]) WITH ORDINALITY AS r(name, enabled, position)
         ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
    )
    .bind(&names)
    .bind(&enabled)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A database error as a person should read it: the server's message and its hint (what
/// `xero.request_sync` and the tenant functions say to do), not the driver's wrapping.
pub fn explained(error: sqlx::Error) -> anyhow::Error {
    match error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
    {
        Some(pg) => match pg.hint() {
            Some(hint) => anyhow::anyhow!("{} ({hint})", pg.message()),
            None => anyhow::anyhow!("{}", pg.message()),
        },
        None => error.into(),
    }
}
