//! The database.

/// Where the database is when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/xero_sync";

/// The database.
#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Postgres URL; the database is created if missing.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, value_parser = parse_database_url)]
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

/// The driver reads any scheme as Postgres (`mysql://h/db` would dial `h:5432`), so the scheme
/// is checked here, where the message can name the variable.
fn parse_database_url(value: &str) -> Result<String, String> {
    let scheme_ok = ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| value.starts_with(scheme));
    if !scheme_ok {
        return Err(format!(
            "`{value}` is not a Postgres URL (postgres://user@host:port/database)"
        ));
    }
    Ok(value.to_owned())
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
    }
}
