//! Where the database is: the pool's URL, how it pools, and the URL straight to Postgres.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use super::error::DbError;
use crate::config::{DbArgs, PoolMode};

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
    /// The target `DATABASE_URL`, `DATABASE_DIRECT_URL` and `DATABASE_POOL_MODE` name.
    pub fn from_args(args: &DbArgs) -> Target {
        Target {
            url: args.database_url.clone(),
            direct_url: args.database_direct_url.clone(),
            mode: args.database_pool_mode,
        }
    }

    /// Postgres itself at `url`.
    pub fn direct(url: &str) -> Target {
        Target {
            url: url.to_owned(),
            direct_url: None,
            mode: PoolMode::Session,
        }
    }

    /// What the pool connects with.
    pub(super) fn pooled_options(&self) -> Result<PgConnectOptions, DbError> {
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
    pub(super) fn direct_options(
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

    /// Whether a session of its own can be had (a direct URL, or a pool of sessions).
    pub(super) fn reaches_postgres(&self) -> bool {
        self.direct_url.is_some() || self.mode == PoolMode::Session
    }

    /// Whether what needs a session goes elsewhere than the pool.
    pub(super) fn separate_direct(&self) -> bool {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const POSTGRES: &str = "postgres://app@db:5432/xero_sync";
    const BOUNCER: &str = "postgres://app@bouncer:6432/xero_sync";

    fn target(direct: Option<&str>, mode: PoolMode) -> Target {
        Target {
            url: BOUNCER.to_owned(),
            direct_url: direct.map(str::to_owned),
            mode,
        }
    }

    #[test]
    fn a_session_pool_is_its_own_direct_connection() {
        let t = Target::direct(POSTGRES);
        assert!(!t.separate_direct() && t.reaches_postgres());
        let (options, variable) = t.direct_options("migrating").unwrap();
        assert_eq!((options.get_host(), variable), ("db", "DATABASE_URL"));
        assert!(
            t.direct_pool().unwrap().is_none(),
            "LISTEN shares the pool's URL"
        );
    }

    #[test]
    fn a_direct_url_carries_what_needs_a_session_in_either_mode() {
        for mode in [PoolMode::Session, PoolMode::Transaction] {
            let t = target(Some(POSTGRES), mode);
            assert!(t.separate_direct() && t.reaches_postgres());
            let (options, variable) = t.direct_options("migrating").unwrap();
            assert_eq!(
                (options.get_host(), variable),
                ("db", "DATABASE_DIRECT_URL")
            );
            assert_eq!(t.pooled_options().unwrap().get_host(), "bouncer");
        }
    }

    #[test]
    fn transaction_pooling_without_a_direct_url_names_what_cannot_be_done() {
        let t = target(None, PoolMode::Transaction);
        assert!(t.separate_direct() && !t.reaches_postgres());
        let error = t.direct_options("migrating the database").unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with("migrating the database needs a Postgres session")
                && message.contains("DATABASE_DIRECT_URL"),
            "{message}"
        );
        assert!(t.direct_pool().is_err(), "no LISTEN through the pooler");
        // The pool itself still opens: read-only commands need nothing more.
        assert_eq!(t.pooled_options().unwrap().get_host(), "bouncer");
    }
}
