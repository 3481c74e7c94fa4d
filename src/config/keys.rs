//! The keys tokens are sealed under at rest.

use super::values::Secret;

/// The token keys: the current one seals, retired ones still open.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Token keys")]
pub struct TokenKeyArgs {
    /// The key tokens are sealed under: 32 bytes in base64 (`xero-sync keys generate`).
    #[arg(
        long,
        env = "XERO_TOKEN_KEY",
        value_name = "XERO_TOKEN_KEY",
        hide_env_values = true
    )]
    pub token_key: Option<Secret>,
    /// Retired keys, comma-separated, that still open the tokens sealed under them until
    /// `xero-sync keys rotate` has sealed every token under the current key.
    #[arg(
        long,
        env = "XERO_TOKEN_KEYS_OLD",
        value_name = "XERO_TOKEN_KEYS_OLD",
        hide_env_values = true
    )]
    pub token_keys_old: Option<Secret>,
    /// Store tokens in plain text when no XERO_TOKEN_KEY is set (anyone who can read the
    /// database, a dump or a backup can then act as every connected organisation).
    #[arg(long, env = "XERO_ALLOW_PLAINTEXT_TOKENS", value_name = "XERO_ALLOW_PLAINTEXT_TOKENS", num_args = 0..=1, default_value_t = false, default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_plaintext_tokens: bool,
}
