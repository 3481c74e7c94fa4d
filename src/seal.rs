//! Tokens sealed at rest: XChaCha20-Poly1305 under a 32-byte key (`XERO_TOKEN_KEY`), a random
//! 24-byte nonce per seal, the connection id and the field (`access`, `refresh`) as associated
//! data, so a sealed token opens only in the row and column it was written to. A sealed value
//! reads `xs1:<key id>:<base64 of nonce and ciphertext>`; the key id (from a hash of the key)
//! says which key opens it, so retired keys (`XERO_TOKEN_KEYS_OLD`) keep opening their tokens
//! until `xero-sync keys rotate` has sealed every one under the current key.
//!
//! XChaCha20-Poly1305 rather than AES-256-GCM: its 192-bit nonces can be drawn at random for as
//! many seals as a deployment will ever make, where GCM's 96-bit random nonces bound one key to
//! about 2^32 of them; and it is constant-time in software on any CPU.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::config::{Secret, TokenKeyArgs};

/// The prefix of every sealed value.
const PREFIX: &str = "xs1:";
/// Bytes of a nonce.
const NONCE_BYTES: usize = 24;

/// Which token of a connection a value is: part of what a sealed value is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The access token.
    Access,
    /// The refresh token.
    Refresh,
}

impl Field {
    fn name(self) -> &'static [u8] {
        match self {
            Field::Access => b"access",
            Field::Refresh => b"refresh",
        }
    }
}

/// Why the configured keys cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No key, and plain text was not allowed.
    #[error(
        "XERO_TOKEN_KEY is not set: tokens are sealed at rest under it. Generate one with \
         `xero-sync keys generate` (or `openssl rand -base64 32`) and keep it safe — without it \
         the stored tokens cannot be read — or pass --allow-plaintext-tokens to store them in \
         plain text"
    )]
    Missing,
    /// A key that is not 32 bytes of base64.
    #[error("{variable} must be 32 bytes in base64 (`xero-sync keys generate` makes one): {why}")]
    Malformed {
        /// The variable it came from.
        variable: &'static str,
        /// What is wrong with it.
        why: String,
    },
}

/// Why a stored token cannot be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Sealed under a key this process does not have.
    #[error(
        "a token is sealed under key {key_id}, which is neither XERO_TOKEN_KEY nor in \
         XERO_TOKEN_KEYS_OLD"
    )]
    UnknownKey {
        /// The key id in the sealed value.
        key_id: String,
    },
    /// The value does not open: altered, truncated, or moved from another row or column.
    #[error("a sealed token does not open under key {key_id}: it was altered or moved")]
    Tampered {
        /// The key id in the sealed value.
        key_id: String,
    },
    /// A token stored in plain text while plain text is not allowed.
    #[error(
        "a token is stored in plain text; run `xero-sync migrate` with XERO_TOKEN_KEY to seal it"
    )]
    Plaintext,
}

/// One key and its id.
struct SealKey {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({})", self.id)
    }
}

impl SealKey {
    fn new(bytes: [u8; 32]) -> SealKey {
        let hash = Sha256::new()
            .chain_update(b"xero-sync token key id\0")
            .chain_update(bytes)
            .finalize();
        SealKey {
            id: hex::encode(&hash[..4]),
            cipher: XChaCha20Poly1305::new(&Key::from(bytes)),
        }
    }

    fn parse(variable: &'static str, text: &str) -> Result<SealKey, KeyError> {
        let malformed = |why: String| KeyError::Malformed { variable, why };
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| malformed(format!("not base64 ({e})")))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| malformed(format!("{} bytes, not 32", b.len())))?;
        Ok(SealKey::new(bytes))
    }
}

/// The keys of a process: the current one seals, every one opens.
#[derive(Debug)]
pub struct Keys {
    current: Option<SealKey>,
    old: Vec<SealKey>,
}

impl Keys {
    /// The keys `XERO_TOKEN_KEY` and `XERO_TOKEN_KEYS_OLD` give; without a key, plain text only
    /// with `--allow-plaintext-tokens`.
    pub fn from_args(args: &TokenKeyArgs) -> Result<Keys, KeyError> {
        let current = match &args.token_key {
            Some(key) if !key.expose().trim().is_empty() => {
                Some(SealKey::parse("XERO_TOKEN_KEY", key.expose())?)
            }
            _ if args.allow_plaintext_tokens => None,
            _ => return Err(KeyError::Missing),
        };
        let old = args
            .token_keys_old
            .as_ref()
            .map(|list| {
                list.expose()
                    .split(',')
                    .filter(|k| !k.trim().is_empty())
                    .map(|k| SealKey::parse("XERO_TOKEN_KEYS_OLD", k))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Keys { current, old })
    }

    /// A fresh random key, for the demo and the tests (its tokens die with the process).
    pub fn generated() -> Keys {
        Keys {
            current: Some(SealKey::new(rand::random())),
            old: Vec::new(),
        }
    }

    /// A fresh key, in base64, for `XERO_TOKEN_KEY`.
    pub fn new_key() -> Secret {
        let bytes: [u8; 32] = rand::random();
        Secret::new(STANDARD.encode(bytes))
    }

    /// The id of the key that seals, if any.
    pub fn current_id(&self) -> Option<&str> {
        self.current.as_ref().map(|k| k.id.as_str())
    }

    /// Seals a token of `connection` for `field`; in plain text when no key seals.
    pub fn seal(&self, connection: Uuid, field: Field, token: &str) -> String {
        let Some(key) = &self.current else {
            return token.to_owned();
        };
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let aad = associated(connection, field);
        let payload = Payload {
            msg: token.as_bytes(),
            aad: &aad,
        };
        // Encryption fails only for messages of gigabytes; a token is a few kilobytes.
        let sealed = key
            .cipher
            .encrypt(&XNonce::from(nonce), payload)
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", key.id, STANDARD.encode(bytes))
    }

    /// Opens a stored token of `connection` for `field`. A value stored in plain text (before
    /// sealing, or with `--allow-plaintext-tokens`) is returned as it is.
    pub fn open(&self, connection: Uuid, field: Field, stored: &str) -> Result<Secret, OpenError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(Secret::new(stored));
        };
        let (key_id, body) = rest.split_once(':').unwrap_or((rest, ""));
        let tampered = || OpenError::Tampered {
            key_id: key_id.to_owned(),
        };
        let key = self
            .current
            .iter()
            .chain(&self.old)
            .find(|k| k.id == key_id)
            .ok_or_else(|| OpenError::UnknownKey {
                key_id: key_id.to_owned(),
            })?;
        let bytes = STANDARD.decode(body).map_err(|_| tampered())?;
        if bytes.len() < NONCE_BYTES {
            return Err(tampered());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| tampered())?;
        let aad = associated(connection, field);
        let payload = Payload {
            msg: sealed,
            aad: &aad,
        };
        let opened = key
            .cipher
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| tampered())?;
        String::from_utf8(opened)
            .map(Secret::new)
            .map_err(|_| tampered())
    }

    /// Whether `stored` is sealed under the current key (or is plain text and no key seals):
    /// nothing for `keys rotate` to do.
    pub fn is_current(&self, stored: &str) -> bool {
        match &self.current {
            Some(key) => stored
                .strip_prefix(PREFIX)
                .and_then(|rest| rest.split_once(':'))
                .is_some_and(|(id, _)| id == key.id),
            None => !stored.starts_with(PREFIX),
        }
    }
}

/// What a sealed value is bound to: its connection and its field.
fn associated(connection: Uuid, field: Field) -> Vec<u8> {
    let mut aad = connection.as_bytes().to_vec();
    aad.push(b':');
    aad.extend_from_slice(field.name());
    aad
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(key: Option<&str>, old: Option<&str>, plain: bool) -> TokenKeyArgs {
        TokenKeyArgs {
            token_key: key.map(Secret::new),
            token_keys_old: old.map(Secret::new),
            allow_plaintext_tokens: plain,
        }
    }

    #[test]
    fn a_sealed_token_opens_in_its_own_row_and_field_only() {
        let keys = Keys::generated();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let sealed = keys.seal(a, Field::Refresh, "rt-123");
        assert!(sealed.starts_with("xs1:") && !sealed.contains("rt-123"));
        assert_ne!(
            sealed,
            keys.seal(a, Field::Refresh, "rt-123"),
            "a fresh nonce"
        );
        assert_eq!(
            keys.open(a, Field::Refresh, &sealed).unwrap().expose(),
            "rt-123"
        );
        assert!(matches!(
            keys.open(b, Field::Refresh, &sealed),
            Err(OpenError::Tampered { .. })
        ));
        assert!(matches!(
            keys.open(a, Field::Access, &sealed),
            Err(OpenError::Tampered { .. })
        ));
        let mut altered = sealed.clone();
        altered.replace_range(sealed.len() - 3.., "AAA");
        assert!(keys.open(a, Field::Refresh, &altered).is_err());
    }

    #[test]
    fn retired_keys_open_until_rotated_away_and_unknown_keys_are_named() {
        let old = Keys::new_key();
        let new = Keys::new_key();
        let before = Keys::from_args(&args(Some(old.expose()), None, false)).unwrap();
        let after = Keys::from_args(&args(Some(new.expose()), Some(old.expose()), false)).unwrap();
        let alone = Keys::from_args(&args(Some(new.expose()), None, false)).unwrap();
        let id = Uuid::new_v4();
        let sealed = before.seal(id, Field::Access, "at");
        assert_eq!(
            after.open(id, Field::Access, &sealed).unwrap().expose(),
            "at"
        );
        assert!(!after.is_current(&sealed));
        assert!(after.is_current(&after.seal(id, Field::Access, "at")));
        let missing = alone.open(id, Field::Access, &sealed).unwrap_err();
        assert!(missing.to_string().contains(before.current_id().unwrap()));
    }

    #[test]
    fn a_missing_or_malformed_key_is_a_clear_error_and_plain_text_is_opt_in() {
        assert_eq!(
            Keys::from_args(&args(None, None, false)).unwrap_err(),
            KeyError::Missing
        );
        assert!(KeyError::Missing.to_string().contains("XERO_TOKEN_KEY"));
        let short = Keys::from_args(&args(Some("c2hvcnQ="), None, false)).unwrap_err();
        assert!(short.to_string().contains("5 bytes, not 32"), "{short}");
        let bad = Keys::from_args(&args(Some("not base64!"), None, false)).unwrap_err();
        assert!(bad.to_string().contains("XERO_TOKEN_KEY"), "{bad}");
        let plain = Keys::from_args(&args(None, None, true)).unwrap();
        assert_eq!(plain.seal(Uuid::nil(), Field::Access, "t"), "t");
        assert!(plain.is_current("t"));
    }

    #[test]
    fn keys_never_print() {
        let key = Keys::new_key();
        let keys = Keys::from_args(&args(Some(key.expose()), None, false)).unwrap();
        assert!(!format!("{keys:?}").contains(key.expose()));
        let config = args(Some(key.expose()), Some(key.expose()), false);
        assert!(!format!("{config:?}").contains(key.expose()));
    }
}
