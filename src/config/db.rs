//! The database.

/// Where the database is when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/xero_sync";

/// The database.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Database")]
pub struct DbArgs {
    /// Postgres URL; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = DatabaseUrl)]
    pub database_url: String,
    /// The entities this deployment syncs: comma-separated names, or `all`. Unset leaves the
    /// stored choice (every entity, on a new database); see `xero-sync entities`.
    #[arg(
        long = "sync-entities",
        env = "SYNC_ENTITIES",
        value_name = "SYNC_ENTITIES"
    )]
    pub sync_entities: Option<String>,
}

/// Parses `DATABASE_URL` with [`parse_database_url`]. Its own parser rather than a function,
/// since clap prints a function's rejected value, and this one may hold a password.
#[derive(Debug, Clone, Copy)]
struct DatabaseUrl;

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
            .ok_or_else(|| refuse("DATABASE_URL is not valid UTF-8".to_owned()))?;
        parse_database_url(value).map_err(refuse)
    }
}

/// The driver reads any scheme as Postgres (`mysql://h/db` would dial `h:5432`), so the scheme
/// is checked here, where the message can name the variable.
fn parse_database_url(value: &str) -> Result<String, String> {
    let scheme_ok = ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| value.starts_with(scheme));
    if !scheme_ok {
        let scheme = value
            .split_once("://")
            .map_or("no scheme", |(scheme, _)| scheme);
        return Err(format!(
            "DATABASE_URL is not a Postgres URL ({scheme}): write postgres://user@host:port/database"
        ));
    }
    check_user_info(value)?;
    Ok(value.to_owned())
}

/// A password holding `/`, `#` or `?` ends the URL's host part early, and the driver then
/// reports "invalid port number": say what is really wrong, without printing the password.
fn check_user_info(value: &str) -> Result<(), String> {
    let rest = value.split_once("://").map_or(value, |(_, rest)| rest);
    let Some((user_info, _)) = rest.rsplit_once('@') else {
        return Ok(());
    };
    match user_info.chars().find(|c| matches!(c, '/' | '#' | '?')) {
        Some(c) => Err(format!(
            "the user or password in DATABASE_URL contains `{c}`: percent-encode the password \
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
        assert!(parse_database_url(DEFAULT_DATABASE_URL).is_ok());
        assert!(parse_database_url("postgresql://u@h/db").is_ok());
        assert!(parse_database_url("mysql://nowhere").is_err());
        assert!(parse_database_url("").is_err());
        for bad in [
            "postgres://u:s3cr/et@h/db",
            "postgres://u:s3cr#et@h:5432/db",
        ] {
            let error = parse_database_url(bad).expect_err("refused");
            assert!(error.contains("percent-encode the password"), "{error}");
            assert!(
                !error.contains("s3cr"),
                "the password is never printed: {error}"
            );
        }
        assert!(parse_database_url("postgres://u:pa%2Fss@h/db").is_ok());
    }
}
