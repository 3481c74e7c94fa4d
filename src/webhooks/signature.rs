//! Xero's webhook signature: `x-xero-signature` is the base64 of HMAC-SHA256 over the raw body
//! bytes, keyed with the webhook key *string's* bytes as the developer portal shows it (it
//! looks like base64 but is not decoded). Checked before anything parses the body: a body
//! re-serialised would not match, and a body not Xero's must not be read at all.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Whether `signature` (the header's value) signs `body` under `key`; in constant time.
pub fn verify(key: &str, body: &[u8], signature: Option<&str>) -> bool {
    let Some(signature) = signature else {
        return false;
    };
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The signature of `body` under `key`, as Xero computes it.
pub fn sign(key: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_string_is_the_key_not_its_base64_decoding() {
        let key = "c2VjcmV0LXdlYmhvb2sta2V5LWZyb20tdGhlLXBvcnRhbA==";
        let body = br#"{"events":[],"firstEventSequence": 0,"lastEventSequence": 0,"entropy":"X"}"#;
        let good = sign(key, body);
        assert!(verify(key, body, Some(&good)));
        let decoded = STANDARD.decode(key).expect("base64");
        let mut mac = Hmac::<Sha256>::new_from_slice(&decoded).expect("key");
        mac.update(body);
        let wrong = STANDARD.encode(mac.finalize().into_bytes());
        assert!(!verify(key, body, Some(&wrong)));
        assert!(!verify(key, body, None));
        assert!(
            !verify(key, &body[..body.len() - 1], Some(&good)),
            "a truncated body"
        );
        let mut off_by_one = good.into_bytes();
        off_by_one[3] = if off_by_one[3] == b'A' { b'B' } else { b'A' };
        assert!(!verify(key, body, std::str::from_utf8(&off_by_one).ok()));
    }
}
