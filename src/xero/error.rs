//! What can go wrong talking to Xero, by what the caller should do about it, and how each
//! answer is classified.

use std::time::Duration;

use reqwest::StatusCode;

/// What went wrong talking to Xero, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum XeroError {
    /// 429: a limit was crossed; wait `retry_after` (no attempt is spent).
    #[error("Xero rate limit reached ({problem}); retry after {}s", retry_after.as_secs())]
    RateLimited {
        /// `X-Rate-Limit-Problem`: minute, day, concurrent or appminute.
        problem: String,
        /// From `Retry-After`, or a default when Xero sent none.
        retry_after: Duration,
    },
    /// 503: the organisation is offline or Xero is down for maintenance; wait and come back.
    #[error("Xero is unavailable (503): {message}")]
    Unavailable {
        /// Xero's message, e.g. "The Organisation is offline".
        message: String,
        /// From `Retry-After` when present.
        retry_after: Option<Duration>,
    },
    /// 401: the access token was refused.
    #[error("Xero refused the access token (401): {detail}")]
    Unauthorized {
        /// The problem's `Detail`, e.g. `TokenExpired: …`.
        detail: String,
    },
    /// 403, or 401 `AuthorizationUnsuccessful`: Xero refuses this endpoint for this tenant (a
    /// scope the connection was not granted, an app tier or user role without it, or the tenant no
    /// longer connected); or 410, the endpoint is retired. A fresh token does not help; the
    /// pair is not entitled.
    #[error(
        "Xero refuses this request ({status}): {detail}; check the connection's scopes, the \
         app's pricing tier (Journals needs Advanced) and the user's role (ManualJournals needs \
         Adviser), or reconnect with `xero-sync connect`"
    )]
    NotEntitled {
        /// 401, 403 or 410.
        status: u16,
        /// The problem's `Detail`.
        detail: String,
    },
    /// The response body is larger than `XERO_MAX_RESPONSE_BYTES`.
    #[error(
        "Xero's response exceeded {limit} bytes (XERO_MAX_RESPONSE_BYTES); raise the limit if \
         such responses are expected"
    )]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Another 4xx: the request itself is wrong; retrying will not help.
    #[error("Xero rejected the request ({status}): {body}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// 5xx other than 503: worth retrying with backoff.
    #[error("Xero server error ({status}): {body}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// No complete answer within the timeout.
    #[error("Xero did not answer within {}s", .0.as_secs())]
    Timeout(Duration),
    /// The connection broke after it was made.
    #[error("cannot reach Xero: {0}")]
    Transport(String),
    /// No connection could be made (DNS, refused, TLS): the call never reached Xero, which
    /// counts nothing, so neither does the budget.
    #[error("Xero unreachable: {0}")]
    Unreachable(String),
    /// A 200 whose body is not the JSON we expect (e.g. truncated).
    #[error("malformed response from Xero: {0}")]
    Malformed(String),
}

impl XeroError {
    /// Whether the call may succeed later without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            XeroError::RateLimited { .. }
                | XeroError::Unavailable { .. }
                | XeroError::Server { .. }
                | XeroError::Timeout(_)
                | XeroError::Transport(_)
                | XeroError::Unreachable(_)
                | XeroError::Malformed(_)
        )
    }
}

/// How long to wait after a 429 that carries no `Retry-After` (the concurrent limit).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The error an answer of `status` means.
pub(super) fn classify(
    status: StatusCode,
    body: String,
    retry_after: Option<Duration>,
    problem: Option<String>,
) -> XeroError {
    let short = excerpt(&body);
    match status.as_u16() {
        429 => XeroError::RateLimited {
            problem: problem.unwrap_or_else(|| "unknown".into()),
            retry_after: retry_after.unwrap_or(DEFAULT_RETRY_AFTER),
        },
        503 => XeroError::Unavailable {
            message: short,
            retry_after,
        },
        // A token lacking the endpoint's scope is refused with 401 AuthorizationUnsuccessful;
        // refreshing it would not add the scope.
        401 if problem_detail(&body)
            .is_some_and(|d| d.starts_with("AuthorizationUnsuccessful")) =>
        {
            XeroError::NotEntitled {
                status: 401,
                detail: problem_detail(&body).unwrap_or(short),
            }
        }
        401 => XeroError::Unauthorized {
            detail: problem_detail(&body).unwrap_or(short),
        },
        403 => XeroError::NotEntitled {
            status: 403,
            detail: problem_detail(&body).unwrap_or(short),
        },
        // An endpoint Xero retired (Classic Expenses' ExpenseClaims, being disabled since July
        // 2025) is no failure to retry but a state of the pair, as a refusal is.
        410 => XeroError::NotEntitled {
            status: 410,
            detail: format!("Xero retired this endpoint: {short}"),
        },
        s if s >= 500 => XeroError::Server {
            status: s,
            body: short,
        },
        s => XeroError::Rejected {
            status: s,
            body: short,
        },
    }
}

fn problem_detail(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get("Detail")?.as_str().map(str::to_owned)
}

fn excerpt(body: &str) -> String {
    const MAX: usize = 300;
    let trimmed = body.trim();
    match trimmed.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &trimmed[..i]),
        None => trimmed.to_owned(),
    }
}

/// The error with its causes, for messages (reqwest's Display alone says little).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_or_retired_endpoint_is_a_state_of_the_pair_and_other_client_errors_are_not() {
        let problem = r#"{"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful"}"#;
        let refused = classify(StatusCode::FORBIDDEN, problem.into(), None, None);
        assert!(
            matches!(refused, XeroError::NotEntitled { status: 403, ref detail } if detail == "AuthenticationUnsuccessful")
        );
        let retired = classify(StatusCode::GONE, "Endpoint disabled".into(), None, None);
        assert!(
            matches!(retired, XeroError::NotEntitled { status: 410, ref detail } if detail.contains("Endpoint disabled"))
        );
        let bad = classify(StatusCode::BAD_REQUEST, "no".into(), None, None);
        assert!(matches!(bad, XeroError::Rejected { status: 400, .. }));
    }
}
