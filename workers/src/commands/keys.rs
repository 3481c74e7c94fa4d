//! `xero-sync keys`: a new key, and sealing every stored token under the current key.

use xero_sync::config::{DbArgs, TokenKeyArgs};
use xero_sync::db;
use xero_sync::seal::Keys;

use super::setup::{keys, prepare};

/// `keys generate`: prints a fresh key for `XERO_TOKEN_KEY`.
pub fn generate_key() {
    println!("{}", Keys::new_key().expose());
}

/// `keys rotate`: seals every token under `XERO_TOKEN_KEY`, opening those sealed under a key
/// of `XERO_TOKEN_KEYS_OLD`; safe while workers run. `false` when a token could not be opened.
pub async fn rotate_keys(db: &DbArgs, token_keys: &TokenKeyArgs) -> anyhow::Result<bool> {
    let keys = keys(token_keys)?;
    let Some(current) = keys.current_id() else {
        anyhow::bail!("XERO_TOKEN_KEY is not set: there is no key to rotate to");
    };
    let pool = db::connect_to(&db::Target::from_args(db), 2).await?;
    prepare(&pool, db).await?;
    let rotated = xero_sync::vault::rotate(&pool, &keys).await?;
    println!(
        "{} connection(s) sealed again under key {current}, {} already were, {} failed",
        rotated.resealed,
        rotated.current,
        rotated.failed.len()
    );
    for (connection, why) in &rotated.failed {
        eprintln!("connection {connection}: {why}");
    }
    if rotated.failed.is_empty() {
        println!("every token is sealed under key {current}: XERO_TOKEN_KEYS_OLD may be emptied");
    }
    Ok(rotated.failed.is_empty())
}
