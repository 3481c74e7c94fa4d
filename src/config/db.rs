//! The database.

/// Where the database is when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/xero_sync";

/// The database.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Database")]
pub struct DbArgs {
    /// Postgres URL; the database is created if missing. May point at PgBouncer (see
    /// `DATABASE_POOL_MODE`).
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = DatabaseUrl("DATABASE_URL"))]
    pub database_url: String,
    /// A URL straight to Postgres, for what needs a session of its own: migrations (they hold
    /// an advisory lock), creating the database, and the workers' LISTEN for new jobs. Unset:
    /// `DATABASE_URL`.
    #[arg(long, env = "DATABASE_DIRECT_URL", value_name = "DATABASE_DIRECT_URL", value_parser = DatabaseUrl("DATABASE_DIRECT_URL"))]
    pub database_direct_url: Option<String>,
    /// How `DATABASE_URL` pools server connections: `session` (Postgres itself, or PgBouncer
    /// in session mode) or `transaction` (PgBouncer in transaction mode: no statement is
    /// prepared by name and no session setting is sent).
    #[arg(
        long,
        env = "DATABASE_POOL_MODE",
        value_name = "DATABASE_POOL_MODE",
        value_enum,
        default_value_t = PoolMode::Session
    )]
    pub database_pool_mode: PoolMode,
    /// The entities this deployment syncs: comma-separated names, or `all`. Unset leaves the
    /// stored choice (every entity, on a new database); see `xero-sync entities`.
    #[arg(
        long = "sync-entities",
        env = "SYNC_ENTITIES",
        value_name = "SYNC_ENTITIES"
    )]
    pub sync_entities: Option<String>,
}

/// How the URL the pool connects to shares server connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PoolMode {
    /// A session is ours from connect to close: Postgres itself, or PgBouncer in session mode.
    #[default]
    Session,
    /// Each transaction may run on another server connection (PgBouncer in transaction
    /// mode): statements are unnamed, parsed with their execution (see
    /// `vendor/sqlx-postgres/PATCHED.md`), and no session setting is sent at connect (set
    /// the session limits on the role instead).
    Transaction,
}

/// Parses a database URL (the variable named) with [`parse_database_url`]. Its own parser
/// rather than a function, since clap prints a function's rejected value, and this one may
/// hold a password.
#[derive(Debug, Clone, Copy)]
struct DatabaseUrl(&'static str);

impl clap::builder::TypedValueParser for DatabaseUrl {
    type Value = String;

    fn parse_ref(
        &self,
        _: &clap::Command,
        _: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let refuse = |message: String| {
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, message + "\n")
        };
        let value = value
            .to_str()
            .ok_or_else(|| refuse(format!("{} is not valid UTF-8", self.0)))?;
        parse_database_url(value, self.0).map_err(refuse)
    }
}

/// The driver reads any scheme as Postgres (`mysql://h/db` would dial `h:5432`), so the scheme
/// is checked here, where the message can name the variable.
fn parse_database_url(value: &str, variable: &str) -> Result<String, String> {
    let scheme_ok = ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| value.starts_with(scheme));
    if !scheme_ok {
        let scheme = value
            .split_once("://")
            .map_or("no scheme", |(scheme, _)| scheme);
        return Err(format!(
            "{variable} is not a Postgres URL ({scheme}): write postgres://user@host:port/database"
        ));
    }
    check_user_info(value, variable)?;
    Ok(value.to_owned())
}

/// A password holding `/`, `#` or `?` ends the URL's host part early, and the driver then
/// reports "invalid port number": say what is really wrong, without printing the password.
fn check_user_info(value: &str, variable: &str) -> Result<(), String> {
    let rest = value.split_once("://").map_or(value, |(_, rest)| rest);
    let Some((user_info, _)) = rest.rsplit_once('@') else {
        return Ok(());
    };
    match user_info.chars().find(|c| matches!(c, '/' | '#' | '?')) {
        Some(c) => Err(format!(
            "the user or password in {variable} contains `{c}`: percent-encode the password \
             (`/` as %2F, `#` as %23, `?` as %3F, `@` as %40)"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_must_be_postgres() {
        assert!(parse_database_url(DEFAULT_DATABASE_URL, "DATABASE_URL").is_ok());
        assert!(parse_database_url("postgresql://u@h/db", "DATABASE_URL").is_ok());
        assert!(
            parse_database_url("mysql://nowhere", "DATABASE_DIRECT_URL")
                .expect_err("refused")
                .starts_with("DATABASE_DIRECT_URL is not a Postgres URL")
        );
        assert!(parse_database_url("", "DATABASE_URL").is_err());
        for bad in [
            "postgres://u:s3cr/et@h/db",
            "postgres://u:s3cr#et@h:5432/db",
        ] {
            let error = parse_database_url(bad, "DATABASE_URL").expect_err("refused");
            assert!(error.contains("percent-encode the password"), "{error}");
            assert!(
                !error.contains("s3cr"),
                "the password is never printed: {error}"
            );
        }
        assert!(parse_database_url("postgres://u:pa%2Fss@h/db", "DATABASE_URL").is_ok());
    }
}
