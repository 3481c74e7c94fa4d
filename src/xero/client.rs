//! The Accounting API client: one GET per call, every answer mapped to an error a caller can
//! decide on (snooze, retry, re-authorise or give up).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use tracing::Instrument;
use uuid::Uuid;

use super::dates::modified_since_header;
use super::error::{XeroError, classify, error_chain};
use crate::config::Secret;

/// The limits Xero says remain, from the `X-*-Remaining` headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Remaining {
    /// `X-MinLimit-Remaining`.
    pub minute: Option<i64>,
    /// `X-DayLimit-Remaining`.
    pub day: Option<i64>,
    /// `X-AppMinLimit-Remaining`.
    pub app_minute: Option<i64>,
}

/// One GET against the Accounting API.
#[derive(Debug, Clone)]
pub struct Get<'a> {
    /// The organisation (`xero-tenant-id`).
    pub tenant_id: Uuid,
    /// Path under the API base, e.g. `Invoices`.
    pub endpoint: &'a str,
    /// Query-string parameters.
    pub query: Vec<(&'a str, String)>,
    /// Sent as `If-Modified-Since`, at second precision.
    pub modified_since: Option<DateTime<Utc>>,
}

/// A successful answer.
#[derive(Debug)]
pub struct Answer {
    /// The body, decoded.
    pub body: String,
}

/// What a call cost and what Xero said about the limits, whatever its outcome: what the
/// shared budget and the egress accounting take from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// The HTTP status, if a response came.
    pub status: Option<u16>,
    /// The `X-*-Remaining` headers.
    pub remaining: Remaining,
    /// `X-Rate-Limit-Problem` of a 429.
    pub problem: Option<String>,
    /// `Retry-After`.
    pub retry_after: Option<Duration>,
    /// Body bytes as sent (compressed, if Xero compressed them).
    pub wire_bytes: Option<u64>,
    /// Body bytes once decoded.
    pub decoded_bytes: Option<u64>,
}

/// The Accounting API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct XeroClient {
    http: reqwest::Client,
    api_url: String,
    api_base: String,
    timeout: Duration,
    max_body: u64,
}

impl XeroClient {
    /// A client for the Accounting API under `{api_url}/api.xro/2.0`; calls time out after
    /// `timeout` and bodies larger than `max_body` bytes are refused.
    pub fn new(
        http: reqwest::Client,
        api_url: &str,
        timeout: Duration,
        max_body: u64,
    ) -> XeroClient {
        XeroClient {
            http,
            api_url: api_url.trim_end_matches('/').to_owned(),
            api_base: format!("{}/api.xro/2.0", api_url.trim_end_matches('/')),
            timeout,
            max_body,
        }
    }

    /// The organisations `token` reaches (`GET /connections`).
    pub async fn connections(
        &self,
        token: &Secret,
    ) -> Result<Vec<super::connections::Connection>, XeroError> {
        super::connections::list(&self.http, &self.api_url, token).await
    }

    /// Disconnects one organisation from the app (`DELETE /connections/{id}`); `false` when
    /// Xero no longer knew it.
    pub async fn delete_connection(&self, token: &Secret, id: Uuid) -> Result<bool, XeroError> {
        super::connections::delete(&self.http, &self.api_url, token, id).await
    }

    /// Sends one GET with the bearer token and maps the answer; the report says what it cost.
    pub async fn get(&self, token: &str, request: &Get<'_>) -> (Result<Answer, XeroError>, Report) {
        let span = tracing::info_span!(
            "xero.request",
            otel.name = format!("GET {}", request.endpoint),
            otel.kind = "client",
            http.request.method = "GET",
            url.path = format!("/api.xro/2.0/{}", request.endpoint),
            xero.tenant_id = %request.tenant_id,
            xero.endpoint = request.endpoint,
            http.response.status_code = tracing::field::Empty,
            xero.min_remaining = tracing::field::Empty,
            xero.day_remaining = tracing::field::Empty,
            xero.app_min_remaining = tracing::field::Empty,
            xero.rate_limit_problem = tracing::field::Empty,
            http.response.body.size = tracing::field::Empty,
            xero.wire_bytes = tracing::field::Empty,
        );
        let mut report = Report::default();
        let result = self
            .send(token, request, &mut report)
            .instrument(span)
            .await;
        record(request, &report);
        (result, report)
    }

    async fn send(
        &self,
        token: &str,
        request: &Get<'_>,
        report: &mut Report,
    ) -> Result<Answer, XeroError> {
        let url = format!(
            "{}/{}{}",
            self.api_base,
            request.endpoint,
            query_string(&request.query)
        );
        let mut builder = self
            .http
            .get(&url)
            .bearer_auth(token)
            .header("xero-tenant-id", request.tenant_id.to_string())
            .header("Accept", "application/json")
            // Egress is billed: ask for it compressed.
            .header("Accept-Encoding", "gzip")
            .timeout(self.timeout);
        if let Some(since) = request.modified_since {
            builder = builder.header("If-Modified-Since", modified_since_header(since));
        }
        let response = builder.send().await.map_err(|e| self.transport(e))?;
        let status = response.status();
        report.status = Some(status.as_u16());
        report.remaining = remaining(response.headers());
        report.retry_after = retry_after(response.headers());
        report.problem = header(response.headers(), "x-rate-limit-problem");
        let span = tracing::Span::current();
        record_limits(&span, status.as_u16(), report);
        let gzipped = header(response.headers(), "content-encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("gzip"));
        let wire = self.body(response).await?;
        report.wire_bytes = Some(wire.len() as u64);
        span.record("xero.wire_bytes", wire.len());
        let body = if gzipped { self.gunzip(&wire)? } else { wire };
        report.decoded_bytes = Some(body.len() as u64);
        span.record("http.response.body.size", body.len());
        if status.is_success() {
            let body = String::from_utf8(body)
                .map_err(|_| XeroError::Malformed("the body is not UTF-8".into()))?;
            return Ok(Answer { body });
        }
        Err(classify(
            status,
            String::from_utf8_lossy(&body).into_owned(),
            report.retry_after,
            report.problem.clone(),
        ))
    }

    /// Decodes a gzip body, refusing more than `max_body` bytes of it (a small compressed body
    /// may expand without bound).
    fn gunzip(&self, wire: &[u8]) -> Result<Vec<u8>, XeroError> {
        use std::io::Read as _;
        let mut body = Vec::with_capacity(wire.len() * 8);
        flate2::read::GzDecoder::new(wire)
            .take(self.max_body + 1)
            .read_to_end(&mut body)
            .map_err(|e| XeroError::Malformed(format!("the gzip body does not decode: {e}")))?;
        if body.len() as u64 > self.max_body {
            return Err(XeroError::TooLarge {
                limit: self.max_body,
            });
        }
        Ok(body)
    }

    /// Reads the body, refusing more than `max_body` bytes (a runaway response must not take
    /// the worker's memory with it).
    async fn body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, XeroError> {
        let too_large = XeroError::TooLarge {
            limit: self.max_body,
        };
        if response.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large);
        }
        let expected = response.content_length().unwrap_or(0).min(self.max_body);
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if (body.len() + chunk.len()) as u64 > self.max_body {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn transport(&self, e: reqwest::Error) -> XeroError {
        if e.is_timeout() {
            XeroError::Timeout(self.timeout)
        } else if e.is_connect() {
            XeroError::Unreachable(error_chain(&e))
        } else {
            XeroError::Transport(error_chain(&e))
        }
    }
}

/// The call's metrics: calls by endpoint and status, 429s by problem, bytes per tenant.
fn record(request: &Get<'_>, report: &Report) {
    use opentelemetry::KeyValue;
    let m = crate::metrics::get();
    let status = report
        .status
        .map_or_else(|| "error".to_owned(), |s| s.to_string());
    m.xero_calls.add(
        1,
        &[
            KeyValue::new("endpoint", request.endpoint.to_owned()),
            KeyValue::new("status", status),
        ],
    );
    if report.status == Some(429) {
        // Xero's problems are a handful of words; anything else is one label, not a new one.
        let problem = match report.problem.as_deref() {
            Some("minute") => "minute",
            Some("day") => "day",
            Some("appminute") => "appminute",
            Some("concurrent") => "concurrent",
            _ => "other",
        };
        m.rate_limited.add(1, &[KeyValue::new("problem", problem)]);
    }
    if let Some(bytes) = report.wire_bytes {
        m.response_bytes.add(bytes, &m.tenant(request.tenant_id));
    }
}

/// The status and what Xero said of its limits, on the call's span.
fn record_limits(span: &tracing::Span, status: u16, report: &Report) {
    span.record("http.response.status_code", status);
    if let Some(m) = report.remaining.minute {
        span.record("xero.min_remaining", m);
    }
    if let Some(d) = report.remaining.day {
        span.record("xero.day_remaining", d);
    }
    if let Some(a) = report.remaining.app_minute {
        span.record("xero.app_min_remaining", a);
    }
    if let Some(p) = &report.problem {
        span.record("xero.rate_limit_problem", p.as_str());
    }
}

/// `?k=v&…`, percent-encoded except for commas: Xero reads `IDs=a,b,c` with literal commas
/// and refuses them encoded as `%2C`.
fn query_string(query: &[(&str, String)]) -> String {
    let encode = |text: &str| {
        let mut out = String::with_capacity(text.len());
        for byte in text.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b',' => {
                    out.push(byte as char)
                }
                _ => out.push_str(&format!("%{byte:02X}")),
            }
        }
        out
    };
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: f64 = header(headers, RETRY_AFTER.as_str())?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

fn remaining(headers: &HeaderMap) -> Remaining {
    let number = |name| header(headers, name).and_then(|v| v.trim().parse().ok());
    Remaining {
        minute: number("x-minlimit-remaining"),
        day: number("x-daylimit-remaining"),
        app_minute: number("x-appminlimit-remaining"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_literal_commas_and_everything_else_is_encoded() {
        let ids = "a03ffcd2-5d91-4c7e-b483-318584e9e439,046d8a6d-1ae1-4b4d-9340-5601bdf41b87";
        let query = vec![
            ("IDs", ids.to_owned()),
            ("where", "Status==\"PAID\"".to_owned()),
        ];
        assert_eq!(
            query_string(&query),
            format!("?IDs={ids}&where=Status%3D%3D%22PAID%22")
        );
        assert_eq!(query_string(&[]), "");
    }
}
