//! Payload bodies and their signatures: `{"events", "firstEventSequence", "lastEventSequence",
//! "entropy"}`, the intent-to-receive body, `x-xero-signature` (base64 of HMAC-SHA256 over the
//! raw body with the key's UTF-8 bytes), and the near-miss signatures of the intent series.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::Rng;
use rand::rngs::SmallRng;
use serde::Serialize;
use sha2::Sha256;

use super::event::{Event, WireEvent};

/// Length of the `entropy` string (Xero's are 20 uppercase letters).
const ENTROPY_LEN: usize = 20;

/// A delivery's body, in Xero's key order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    events: &'a [WireEvent],
    first_event_sequence: u64,
    last_event_sequence: u64,
    entropy: &'a str,
}

/// The body of a real delivery of `events`, numbered `first..=last`.
pub fn body(events: &[Event], first: u64, last: u64, entropy: &str) -> Vec<u8> {
    let events: Vec<WireEvent> = events.iter().map(Event::wire).collect();
    let payload = Payload {
        events: &events,
        first_event_sequence: first,
        last_event_sequence: last,
        entropy,
    };
    // Serialising plain strings, numbers and uuids cannot fail.
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// An intent-to-receive body. Written by hand, with the spaces Xero's has, because it is not
/// what a JSON serialiser writes: a receiver that re-serialises before hashing fails, as it
/// would against Xero.
pub fn intent_body(entropy: &str) -> Vec<u8> {
    format!(
        r#"{{"events":[],"firstEventSequence": 0,"lastEventSequence": 0,"entropy": "{entropy}"}}"#
    )
    .into_bytes()
}

/// `x-xero-signature`: base64(HMAC-SHA256(key bytes, body)).
pub fn sign(key: &str, body: &[u8]) -> String {
    // HMAC takes a key of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A signature one or two characters off the right one, as Xero's intent series sends. Only
/// characters that carry all six of their bits are changed (not the last data character nor
/// the padding), so the wrong signature also decodes to wrong bytes: a receiver comparing
/// decoded digests must reject it too.
pub fn missign(signature: &str, rng: &mut SmallRng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bytes = signature.as_bytes().to_vec();
    let changeable = bytes.len().saturating_sub(3).max(1);
    let changes = rng.random_range(1..=2);
    let first = rng.random_range(0..changeable);
    for n in 0..changes {
        let at = (first + n * 7) % changeable;
        let Some(&old) = bytes.get(at) else {
            break;
        };
        let mut new = old;
        while new == old {
            new = ALPHABET[rng.random_range(0..ALPHABET.len())];
        }
        bytes[at] = new;
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// A fresh `entropy` string: uppercase letters.
pub fn entropy(rng: &mut SmallRng) -> String {
    (0..ENTROPY_LEN)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect()
}
