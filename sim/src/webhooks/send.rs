//! One POST of a signed payload to the receiver, and what came back: the status (or the
//! connection error or timeout), whether the answer had a body or set a cookie, how long it
//! took. Xero gives a receiver 5 seconds.

use std::time::{Duration, Instant};

use serde::Serialize;

/// How long the receiver has to answer, as Xero's 5 seconds.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// The HTTP client of every delivery. reqwest is built with `rustls-no-provider`, so even a
/// client that only speaks plain http needs a crypto provider installed first (installing it
/// twice is harmless: the second attempt is refused and ignored).
pub fn client() -> reqwest::Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(ANSWER_WITHIN)
        // Xero does not follow a receiver's redirects: a 3xx is a failed delivery.
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// What one POST got.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The answer's status; none when there was no answer.
    pub status: Option<u16>,
    /// Why there was no answer (connection refused, timeout), or why the answer was cut off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Whether the answer's body was empty (Xero's intent check wants it empty).
    pub body_empty: bool,
    /// Whether the answer set a cookie (Xero's intent check wants none).
    pub set_cookie: bool,
    /// How long the answer took, in milliseconds.
    pub millis: u64,
}

impl Attempt {
    /// Whether the receiver took the delivery (any 2xx).
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// A line for `last_error`.
    pub fn describe(&self) -> String {
        match (&self.status, &self.error) {
            (_, Some(e)) => e.clone(),
            (Some(s), None) => format!("HTTP {s}"),
            (None, None) => "no answer".to_owned(),
        }
    }
}

/// POSTs `body` with its signature to `url`.
pub async fn post(client: &reqwest::Client, url: &str, signature: &str, body: Vec<u8>) -> Attempt {
    let started = Instant::now();
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-xero-signature", signature)
        .body(body)
        .send()
        .await;
    let mut attempt = Attempt {
        status: None,
        error: None,
        body_empty: true,
        set_cookie: false,
        millis: 0,
    };
    match sent {
        Ok(res) => {
            attempt.status = Some(res.status().as_u16());
            attempt.set_cookie = res.headers().contains_key(reqwest::header::SET_COOKIE);
            match res.bytes().await {
                Ok(bytes) => attempt.body_empty = bytes.is_empty(),
                Err(e) => attempt.error = Some(format!("reading the answer: {e}")),
            }
        }
        Err(e) if e.is_timeout() => {
            attempt.error = Some(format!("no answer within {ANSWER_WITHIN:?}"));
        }
        Err(e) => attempt.error = Some(chain(&e)),
    }
    attempt.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    attempt
}

/// An error with its causes: reqwest's own message names the request, its sources say why
/// (connection refused, reset).
fn chain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
