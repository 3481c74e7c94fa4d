//! The database layer's errors.

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
