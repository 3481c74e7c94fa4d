//! The database: connecting (creating the database when it does not exist yet) and migrating,
//! apalis's schema first and then ours, which guards `apalis.jobs`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

/// Errors at the database boundary that a caller branches on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `DATABASE_URL` is not a Postgres URL.
    #[error("DATABASE_URL is not a valid Postgres URL: {0}")]
    BadUrl(#[source] sqlx::Error),
    /// The server could not be reached or refused us.
    #[error("cannot connect to Postgres at {url} ({variable}): {source}")]
    Connect {
        /// The URL without its password.
        url: String,
        /// The variable that gave it.
        variable: &'static str,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// A read-only command was pointed at a database that does not exist.
    #[error(
        "database `{name}` does not exist (DATABASE_URL {url}): check its name, or create it with `xero-sync migrate`"
    )]
    NoDatabase {
        /// The database's name.
        name: String,
        /// The URL without its password.
        url: String,
    },
    /// A read-only command was pointed at a database without this binary's schema.
    #[error("database `{name}` {why}: run `xero-sync migrate` first")]
    Unmigrated {
        /// The database's name.
        name: String,
        /// What is missing.
        why: String,
    },
    /// Something that needs a session of its own, with only a transaction-mode pooler to
    /// reach.
    #[error(
        "{what} needs a Postgres session of its own, which PgBouncer in transaction mode \
         (DATABASE_POOL_MODE=transaction) cannot give: set DATABASE_DIRECT_URL to Postgres \
         itself, or to PgBouncer in session mode"
    )]
    NoDirectUrl {
        /// What needed it.
        what: &'static str,
    },
    /// A migration failed.
    #[error("migrating the database failed: {0}")]
    Migrate(String),
    /// Any other database error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// What every pooled connection sets, so nothing can hang on the database. No statement of
/// ours runs for minutes; a lock held that long is a stuck session; and a transaction idle for
/// two minutes is a client that died with it open (the longest legitimate idle stretch inside
/// a transaction is a token refresh, bounded at 15 s). Migrations lift these on their own
/// connection, since replicas starting together wait for each other's migrations.
///
/// (The statements that store a batch are planned for their own parameters, in their own
/// transaction: see `sync::store`.)
pub const SESSION_LIMITS: [(&str, &str); 3] = [
    ("statement_timeout", "300s"),
    ("lock_timeout", "30s"),
    ("idle_in_transaction_session_timeout", "120s"),
];

/// How the URL the pool connects to shares server connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PoolMode {
    /// A session is ours from connect to close: Postgres itself, or PgBouncer in session mode.
    #[default]
    Session,
    /// Each transaction may run on another server connection (PgBouncer in transaction
    /// mode): statements are unnamed, parsed with their execution (see
    /// `vendor/sqlx-postgres/PATCHED.md`), and no session setting is sent at connect (set
    /// [`SESSION_LIMITS`] on the role instead).
    Transaction,
}

/// Where the database is: the URL the pool connects to, how that URL pools, and the URL straight
/// to Postgres for what needs a session (migrations, creating the database, LISTEN).
#[derive(Debug, Clone)]
pub struct Target {
    /// `DATABASE_URL`.
    pub url: String,
    /// `DATABASE_DIRECT_URL`; `None`: `url`.
    pub direct_url: Option<String>,
    /// `DATABASE_POOL_MODE`.
    pub mode: PoolMode,
}

impl Target {
    /// Postgres itself at `url`.
    pub fn direct(url: &str) -> Target {
        Target {
            url: url.to_owned(),
            direct_url: None,
            mode: PoolMode::Session,
        }
    }

    /// What the pool connects with.
    fn pooled_options(&self) -> Result<PgConnectOptions, DbError> {
        let options = PgConnectOptions::from_str(&self.url).map_err(DbError::BadUrl)?;
        Ok(match self.mode {
            PoolMode::Session => options.options(SESSION_LIMITS),
            // PgBouncer refuses startup parameters it does not know (`options`,
            // `extra_float_digits`), and a statement prepared by name may not be there next time.
            PoolMode::Transaction => options.extra_float_digits(None).statement_cache_capacity(0),
        })
    }

    /// What a session of its own connects with, with the variable that gave it; `what` needs
    /// it, and is named when there is none.
    fn direct_options(
        &self,
        what: &'static str,
    ) -> Result<(PgConnectOptions, &'static str), DbError> {
        let (url, variable) = match (&self.direct_url, self.mode) {
            (Some(url), _) => (url, "DATABASE_DIRECT_URL"),
            (None, PoolMode::Session) => (&self.url, "DATABASE_URL"),
            (None, PoolMode::Transaction) => return Err(DbError::NoDirectUrl { what }),
        };
        let options = PgConnectOptions::from_str(url)
            .map_err(DbError::BadUrl)?
            .options(SESSION_LIMITS);
        Ok((options, variable))
    }

    /// Whether what needs a session goes elsewhere than the pool.
    fn separate_direct(&self) -> bool {
        self.direct_url.as_ref().is_some_and(|d| *d != self.url) || self.mode != PoolMode::Session
    }

    /// A pool of one connection straight to Postgres, opened when first used, when the pool's
    /// URL is not one: what the workers LISTEN on for new jobs. `None`: the pool serves.
    pub fn direct_pool(&self) -> Result<Option<PgPool>, DbError> {
        if !self.separate_direct() {
            return Ok(None);
        }
        let (options, _) = self.direct_options("listening for new jobs")?;
        Ok(Some(
            PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_lazy_with(options),
        ))
    }
}

/// Connects a pool of at most `max_connections`, creating the database first if it is missing
/// (so the README's commands work on a fresh machine). Connections lost (a Postgres restart,
/// a terminated backend) are replaced on the next acquire.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    connect_to(&Target::direct(url), max_connections).await
}

/// [`connect`] to a [`Target`]: the database is created over its direct URL.
pub async fn connect_to(target: &Target, max_connections: u32) -> Result<PgPool, DbError> {
    // Behind a transaction-mode pooler with no direct URL the database must exist already.
    if target.direct_url.is_some() || target.mode == PoolMode::Session {
        let (options, variable) = target.direct_options("creating the database")?;
        create_database_if_missing(&options, variable).await?;
    }
    pool(target.pooled_options()?, max_connections).await
}

/// Connects to a database that must exist and carry this binary's schema, creating and
/// migrating nothing: what the read-only commands (`status`, `entities`, `jobs`,
/// `connections`) use, so a mistyped name is an error naming it, not a new empty database.
pub async fn open(url: &str, max_connections: u32) -> Result<PgPool, DbError> {
    open_target(&Target::direct(url), max_connections).await
}

/// [`open`] a [`Target`].
pub async fn open_target(target: &Target, max_connections: u32) -> Result<PgPool, DbError> {
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
