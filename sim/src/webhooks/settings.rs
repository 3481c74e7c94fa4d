//! A webhook subscription's settings: the target, the key that signs deliveries, the batching
//! window and the cap of the retry backoff. A leaf, so that the command line (`args`) can carry
//! them as well as `POST /sim/webhooks`.

use std::fmt;

/// Default batching window: the events of this many milliseconds go out in one delivery.
pub const DEFAULT_BATCH_MS: u64 = 500;
/// Default cap of the retry backoff (1 s, 2 s, 4 s… up to this), in milliseconds.
pub const DEFAULT_RETRY_MAX_MS: u64 = 60_000;
/// The smallest cap of the retry backoff accepted, in milliseconds.
pub const MIN_RETRY_MAX_MS: u64 = 10;

/// Where and how deliveries go. The key is a secret: [`fmt::Debug`] never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The receiver, `http://host:port/path` (plain http only: the target is on loopback or a
    /// compose network, and the simulator carries no TLS roots).
    pub url: String,
    /// The webhook key, used as is: its UTF-8 bytes are the HMAC key. Xero's keys look like
    /// base64 but are never decoded, so neither is this one.
    pub key: String,
    /// The batching window in milliseconds.
    pub batch_ms: u64,
    /// The cap of the retry backoff in milliseconds.
    pub retry_max_ms: u64,
}

impl fmt::Debug for WebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSettings")
            .field("url", &self.url)
            .field("key", &"<redacted>")
            .field("batch_ms", &self.batch_ms)
            .field("retry_max_ms", &self.retry_max_ms)
            .finish()
    }
}

impl WebhookSettings {
    /// Settings for `url` and `key` with the default window and backoff cap.
    pub fn new(url: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            key: key.into(),
            batch_ms: DEFAULT_BATCH_MS,
            retry_max_ms: DEFAULT_RETRY_MAX_MS,
        }
    }

    /// Refuses what could never be delivered: a URL that is not plain `http://host…` (https is
    /// refused by name, so that the reason is plain), an empty key, or retries without a wait.
    pub fn check(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| format!("webhook URL '{}': {e}", self.url))?;
        match url.scheme() {
            "http" => {}
            "https" => {
                return Err(format!(
                    "webhook URL '{}': https is not supported, the simulator delivers over plain \
                     http only (the receiver runs on loopback or the compose network)",
                    self.url
                ));
            }
            other => return Err(format!("webhook URL '{}': scheme '{other}'", self.url)),
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("webhook URL '{}' has no host", self.url));
        }
        if self.key.is_empty() {
            return Err("the webhook key is empty".to_owned());
        }
        // Without a wait between retries, a failing receiver would be hammered.
        if self.retry_max_ms < MIN_RETRY_MAX_MS {
            return Err(format!(
                "retry_max_ms {} is below {MIN_RETRY_MAX_MS}",
                self.retry_max_ms
            ));
        }
        Ok(())
    }
}
